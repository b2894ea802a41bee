import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.accounts.types import AccountNotice
from graphql_schema.context import Info, viewer
from graphql_schema.identities.types import SenderIdentityType
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_from
from mailing.identities import selectors, services


@strawberry.type
class IdentitiesMutation:
    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Add a sender identity. It is not used until verified: we e-mail a link to its address "
            "(`/senders/verify/<token>/`, or pass the token to `verifySenderIdentity`)."
        ),
    )
    def create_sender_identity(self, info: Info, name: str, email: str, reply_to: str = "") -> SenderIdentityType:
        return services.sender_identity_create(owner=viewer(info), name=name, email=email, reply_to=reply_to)

    @strawberry_django.mutation(
        description=(
            "Verify a sender identity's address with the token of the link sent to it. Whoever reads that mailbox "
            "may open it; a session of another account than the identity's is refused."
        )
    )
    def verify_sender_identity(self, info: Info, token: str) -> AccountNotice:
        identity = services.sender_identity_verify(token=token, viewer=viewer(info))
        return AccountNotice(email=identity.email, message=str(services.SENDER_VERIFIED))

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Delete one of your sender identities. Refused (code `protected`) while a message sends as it: give "
            "those messages another sender, or none, first."
        ),
    )
    def delete_sender_identity(self, info: Info, id: relay.GlobalID) -> SenderIdentityType:
        identity = node_from(info, id, SenderIdentityType, selectors.sender_identity_get_owned)
        services.sender_identity_delete(identity=identity)
        identity.pk = id.node_id
        return identity
