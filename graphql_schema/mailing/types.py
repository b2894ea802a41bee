from datetime import UTC, datetime

import strawberry_django
from strawberry import auto, relay
from strawberry_django.relay import DjangoListConnection

from graphql_schema.accounts.types import UserType
from graphql_schema.context import Info, viewer
from graphql_schema.delivery.types import MailingRunType, MailingStatsType
from graphql_schema.fields import annotated_field, computed_field, django_type
from graphql_schema.identities.types import SenderIdentityType
from graphql_schema.mailing.enums import MailingStatus, Periodicity
from graphql_schema.mailing.filters import (
    ClientFilter,
    ClientOrder,
    MailingFilter,
    MailingOrder,
    MessageFilter,
    MessageOrder,
)
from graphql_schema.permissions import IsSelfOrManager
from mailing import models, selectors


@django_type(models.Client, name="Client", filters=ClientFilter, ordering=ClientOrder, description="A recipient.")
class ClientType(relay.Node):
    email: auto
    full_name: auto
    comment: auto
    unsubscribed_at: auto
    created_at: auto
    updated_at: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.client_list(viewer=viewer(info), base=queryset)


@django_type(
    models.Message, name="Message", filters=MessageFilter, ordering=MessageOrder, description="What a mailing sends."
)
class MessageType(relay.Node):
    subject: auto
    body: auto
    html_body: auto
    sender: SenderIdentityType | None = strawberry_django.field(
        description=(
            "The verified sender identity it goes out as (From, Reply-To); null: the service's own address "
            "(DEFAULT_FROM_EMAIL)."
        )
    )
    created_at: auto
    updated_at: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.message_list(viewer=viewer(info), base=queryset)


def _utc_field(name: str, description: str):
    """A time column shown in UTC: a mailing's row carries its start and end in its own zone."""
    return computed_field(lambda mailing: getattr(mailing, name).astimezone(UTC), only=[name], description=description)


@django_type(
    models.Mailing,
    name="Mailing",
    filters=MailingFilter,
    ordering=MailingOrder,
    description="A message sent to clients once or repeatedly between a start and an end.",
)
class MailingType(relay.Node):
    message: MessageType = strawberry_django.field(
        description="The message this mailing sends (a manager reads it on any mailing)."
    )
    clients: DjangoListConnection[ClientType] = strawberry_django.connection(
        description="The recipients. Only the owner sees them: for anyone else the list is empty (see clientCount)."
    )
    client_count: int = annotated_field(
        name="client_count", expression=selectors.mailing_client_count, description="How many recipients it has."
    )
    start_at: datetime = _utc_field("start_at", "When the first run is due.")
    end_at: datetime = _utc_field("end_at", "After this moment the mailing sends nothing more.")
    time_zone: str = strawberry_django.field(
        description="The IANA zone its schedule keeps wall-clock time in; naive startAt/endAt are read in it.",
    )
    periodicity: Periodicity
    status: MailingStatus
    is_active: auto
    next_run_at: auto
    created_at: auto
    updated_at: auto
    owner: UserType = strawberry_django.field(
        extensions=[IsSelfOrManager(owner_attribute="owner_id")],
        description="Who owns the mailing; visible to the owner and to managers only.",
    )
    runs: DjangoListConnection[MailingRunType] = strawberry_django.connection(
        description="The mailing's runs, newest slot first."
    )

    stats: MailingStatsType = computed_field(
        lambda mailing: MailingStatsType(**selectors.mailing_stats(mailing=mailing)),
        annotate=selectors.MAILING_STATS,
        description="Delivery counts over all the mailing's runs (computed in the query that lists mailings).",
    )

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.mailing_list(viewer=viewer(info), base=queryset)
