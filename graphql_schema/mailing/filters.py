import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from graphql_schema.context import Info, viewer
from graphql_schema.errors import SEARCH_MAX, search_text
from graphql_schema.mailing.enums import MailingStatus, Periodicity
from mailing import models
from mailing.selectors import as_pk


def _search(prefix: str, value: str, fields: list[str]) -> Q:
    query, text = Q(), search_text(value)
    for field in fields:
        query |= Q(**{f"{prefix}{field}__icontains": text})
    return query


@strawberry_django.filter_type(models.Client, description="Filters for clients.")
class ClientFilter:
    @strawberry_django.filter_field(
        description=f"Text search in the e-mail address and the full name (at most {SEARCH_MAX} characters)."
    )
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, ["email", "full_name"])


@strawberry_django.filter_type(models.Message, description="Filters for messages.")
class MessageFilter:
    @strawberry_django.filter_field(description=f"Text search in the subject (at most {SEARCH_MAX} characters).")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, ["subject"])


@strawberry_django.filter_type(models.Mailing, description="Filters for mailings.")
class MailingFilter:
    status: MailingStatus | None = strawberry_django.filter_field(description="Only mailings in this status.")
    periodicity: Periodicity | None = strawberry_django.filter_field(description="Only mailings of this periodicity.")
    is_active: auto = strawberry_django.filter_field(description="Only enabled (true) or disabled (false) mailings.")

    @strawberry_django.filter_field(
        description=f"Text search in the message's subject (at most {SEARCH_MAX} characters)."
    )
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, ["message__subject"])

    @strawberry_django.filter_field(description="Only your own mailings (true) or only other owners' (false).")
    def mine(self, info: Info, value: bool, prefix: str) -> Q:
        own = Q(**{f"{prefix}owner_id": viewer(info).pk})
        return own if value else ~own

    @strawberry_django.filter_field(description="Only the mailings of this owner (a user's id).")
    def owner(self, value: relay.GlobalID, prefix: str) -> Q:
        pk = as_pk(value.node_id) if value.type_name == "User" else None
        return Q(**{f"{prefix}owner_id": pk}) if pk is not None else Q(pk__in=[])


@strawberry_django.order_type(models.Client, description="Orderings for clients.")
class ClientOrder:
    email: auto
    full_name: auto
    created_at: auto


@strawberry_django.order_type(models.Message, description="Orderings for messages.")
class MessageOrder:
    subject: auto
    created_at: auto


@strawberry_django.order_type(models.Mailing, description="Orderings for mailings.")
class MailingOrder:
    start_at: auto
    end_at: auto
    next_run_at: auto
    created_at: auto
