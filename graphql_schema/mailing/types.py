import strawberry_django
from strawberry import auto, relay
from strawberry_django.relay import DjangoListConnection

from graphql_schema.accounts.types import UserType
from graphql_schema.context import Info, viewer
from graphql_schema.delivery.types import MailingRunType, MailingStatsType
from graphql_schema.fields import ColumnField, annotated_field, computed_field, django_type
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
from graphql_schema.relay import ID_ATTR, node_id
from mailing import models, selectors


@django_type(models.Client, name="Client", filters=ClientFilter, ordering=ClientOrder, description="A recipient.")
class ClientType(relay.Node):
    _id_attr = ID_ATTR
    _id: relay.GlobalID = node_id()
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
    _id_attr = ID_ATTR
    _id: relay.GlobalID = node_id()
    subject: auto
    body: auto
    html_body: auto
    created_at: auto
    updated_at: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.message_list(viewer=viewer(info), base=queryset)


@django_type(
    models.Mailing,
    name="Mailing",
    filters=MailingFilter,
    ordering=MailingOrder,
    description="A message sent to clients once or repeatedly between a start and an end.",
)
class MailingType(relay.Node):
    _id_attr = ID_ATTR
    _id: relay.GlobalID = node_id()
    message: MessageType = strawberry_django.field(
        field_cls=ColumnField, description="The message this mailing sends (a manager reads it on any mailing)."
    )
    clients: DjangoListConnection[ClientType] = strawberry_django.connection(
        description="The recipients. Only the owner sees them: for anyone else the list is empty (see clientCount)."
    )
    client_count: int = annotated_field(
        name="client_count", expression=selectors.mailing_client_count, description="How many recipients it has."
    )
    start_at: auto
    end_at: auto
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
