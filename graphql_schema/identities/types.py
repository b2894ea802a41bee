import strawberry_django
from strawberry import auto, relay

from graphql_schema.context import Info, viewer
from graphql_schema.fields import django_type
from mailing.identities import models, selectors


@django_type(
    models.SenderIdentity,
    name="SenderIdentity",
    description=(
        "A From name and address (and optional Reply-To) an owner sends messages as, usable once verified. "
        "Managers read every owner's; only the owner changes them."
    ),
)
class SenderIdentityType(relay.Node):
    name: auto
    email: auto
    reply_to: auto
    verified_at: auto
    created_at: auto

    @strawberry_django.field(
        only=["verified_at"], description="Whether the link sent to the address was opened: only then is it used."
    )
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.sender_identity_list(viewer=viewer(info), base=queryset)
