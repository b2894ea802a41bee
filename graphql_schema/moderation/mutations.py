import strawberry
import strawberry_django
from strawberry import relay

from accounts import selectors as account_selectors
from accounts import services as account_services
from graphql_schema.accounts.types import UserType
from graphql_schema.context import Info, viewer
from graphql_schema.mailing.types import MailingType
from graphql_schema.permissions import IsAuthenticated, IsManager
from graphql_schema.relay import node_from
from mailing import selectors as mailing_selectors
from mailing.services import mailings as mailing_services


# In `extensions`, the last runs first: the anonymous hear that they are not logged in.
@strawberry.type
class ModerationMutation:
    @strawberry_django.mutation(
        extensions=[IsManager(), IsAuthenticated()],
        description=(
            "Block a user: they cannot log in, their open sessions end at once, and their mailings stop "
            "sending (mid-run included) until they are unblocked. Managers only; managers and "
            "administrators cannot be blocked."
        ),
    )
    def block_user(self, info: Info, id: relay.GlobalID, reason: str) -> UserType:
        return account_services.user_block(
            user=node_from(info, id, UserType, account_selectors.user_get), reason=reason, actor=viewer(info)
        )

    @strawberry_django.mutation(
        extensions=[IsManager(), IsAuthenticated()],
        description="Lift a block; the user logs in again (sessions from before the block stay ended). Managers only.",
    )
    def unblock_user(self, info: Info, id: relay.GlobalID) -> UserType:
        return account_services.user_unblock(
            user=node_from(info, id, UserType, account_selectors.user_get), actor=viewer(info)
        )

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description="Stop a mailing from sending (mid-run included). Its owner, or a manager on any mailing.",
    )
    def disable_mailing(self, info: Info, id: relay.GlobalID) -> MailingType:
        return mailing_services.mailing_set_active(
            mailing=node_from(info, id, MailingType, mailing_selectors.mailing_get), is_active=False, actor=viewer(info)
        )

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description="Let a disabled mailing send again. Its owner, or a manager on any mailing.",
    )
    def enable_mailing(self, info: Info, id: relay.GlobalID) -> MailingType:
        return mailing_services.mailing_set_active(
            mailing=node_from(info, id, MailingType, mailing_selectors.mailing_get), is_active=True, actor=viewer(info)
        )
