from datetime import datetime
from enum import Enum

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from accounts import models, selectors
from graphql_schema.context import Info, viewer
from graphql_schema.errors import SEARCH_MAX, search_text
from graphql_schema.fields import annotated_field, computed_field, django_type
from graphql_schema.permissions import IsManager, IsSelfOrManager
from mailing import selectors as mailing_selectors


@strawberry.enum(description="What a user may do. Every verified user is an OWNER of their own data.")
class Role(Enum):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    CONTENT_MANAGER = "CONTENT_MANAGER"


def _count(name: str, description: str):
    return annotated_field(name=name, expression=lambda: mailing_selectors.owner_count(name), description=description)


@strawberry_django.filter_type(models.User, description="Filters for the user list.")
class UserFilter:
    @strawberry_django.filter_field(
        description=f"Text search in the e-mail address and the full name (at most {SEARCH_MAX} characters)."
    )
    def search(self, value: str, prefix: str) -> Q:
        text = search_text(value)
        return Q(**{f"{prefix}email__icontains": text}) | Q(**{f"{prefix}full_name__icontains": text})

    @strawberry_django.filter_field(description="Only blocked (true) or not blocked (false) users.")
    def is_blocked(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}blocked_at__isnull": not value})


@strawberry_django.order_type(models.User, description="Orderings for the user list.")
class UserOrder:
    email: auto
    date_joined: auto


@django_type(
    models.User,
    name="User",
    filters=UserFilter,
    ordering=UserOrder,
    description="A user of the service. Visible to the user themselves and to managers.",
)
class UserType(relay.Node):
    email: str = strawberry_django.field(
        extensions=[IsSelfOrManager()], description="The login address; visible to the user and to managers only."
    )
    full_name: auto
    time_zone: str = strawberry_django.field(
        extensions=[IsSelfOrManager()],
        description="The user's IANA time zone (e.g. `Europe/Moscow`): the default of their new mailings.",
    )
    language: str = strawberry_django.field(
        extensions=[IsSelfOrManager()], description="The user's language, `ru` or `en`: pages, e-mails and messages."
    )
    date_joined: datetime = strawberry_django.field(description="When the account was created.")
    last_login: datetime | None = strawberry_django.field(description="When the user last logged in.")

    blocked_at: datetime | None = strawberry_django.field(
        extensions=[IsManager()], description="When a manager blocked the user; null when not blocked. Managers only."
    )
    blocked_reason: str | None = strawberry_django.field(
        extensions=[IsManager()], description="Why a manager blocked the user. Managers only."
    )

    client_count: int = _count("client_count", "How many clients the user has.")
    message_count: int = _count("message_count", "How many messages the user has.")
    mailing_count: int = _count("mailing_count", "How many mailings the user has.")
    active_mailing_count: int = _count("active_mailing_count", "How many of the user's mailings are active.")
    email_verified: bool = computed_field(
        lambda user: user.is_verified,
        only=["email_verified_at"],
        description="Whether the user has verified the address.",
    )
    roles: list[Role] = computed_field(
        lambda user: [Role(role) for role in selectors.user_roles(user)],
        only=["is_superuser"],
        annotate={
            name: (lambda info, name=name: models.role_annotation(name)) for name in models.ROLE_ANNOTATIONS.values()
        },
        description="The user's roles: OWNER always, MANAGER and CONTENT_MANAGER when granted.",
    )

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.user_list(viewer=viewer(info), base=queryset)


@strawberry.type(description="What happens next, worded so that it never says whether an address has an account.")
class AccountNotice:
    email: str = strawberry.field(description="The address concerned, as the service stores it (lower-cased).")
    message: str = strawberry.field(description="What happens next, for the user to read.")
