import strawberry_django
from django.db.models import Q
from strawberry import relay

from graphql_schema.delivery.enums import DeliveryStatus
from mailing import models, selectors
from mailing.selectors import as_pk


def _pk(global_id: relay.GlobalID, type_name: str) -> int | None:
    # An id of another type, or one that is no key at all, matches nothing.
    return as_pk(global_id.node_id) if global_id.type_name == type_name else None


def _match(prefix: str, field: str, pk: int | None) -> Q:
    return Q(**{f"{prefix}{field}": pk}) if pk is not None else Q(pk__in=[])


@strawberry_django.filter_type(models.DeliveryAttempt, description="Filters for delivery attempts.")
class DeliveryAttemptFilter:
    status: DeliveryStatus | None = strawberry_django.filter_field(description="Only rows in this status.")

    @strawberry_django.filter_field(description="Only the rows of this mailing.")
    def mailing(self, value: relay.GlobalID, prefix: str) -> Q:
        return _match(prefix, "mailing_id", _pk(value, "Mailing"))

    @strawberry_django.filter_field(description="Only the rows of this run.")
    def run(self, value: relay.GlobalID, prefix: str) -> Q:
        return _match(prefix, "run_id", _pk(value, "MailingRun"))

    @strawberry_django.filter_field(description="Only the rows of this client.")
    def client(self, value: relay.GlobalID, prefix: str) -> Q:
        return _match(prefix, "client_id", _pk(value, "Client"))

    @strawberry_django.filter_field(
        description=f"Only the rows whose address contains this text (at most {selectors.EMAIL_SEARCH_MAX} characters)."
    )
    def email(self, value: str, prefix: str) -> Q:
        return selectors.delivery_email_match(value=value, prefix=prefix)
