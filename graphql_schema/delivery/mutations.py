import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.delivery.types import MailingRunType
from graphql_schema.mailing.types import MailingType
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_from
from mailing import selectors
from mailing.delivery import runs


@strawberry.type
class DeliveryMutation:
    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Send a mailing now, outside its schedule: a new run goes to the task queue at once. Refused while "
            "another run of it is still making its first attempts, once its end has passed, or when it is "
            "disabled. A run that only waits on retries is closed first: its waiting recipients are SKIPPED "
            "there, and the new run sends to them again."
        ),
    )
    def send_mailing_now(self, info: Info, id: relay.GlobalID) -> MailingRunType:
        return runs.mailing_send_now(mailing=node_from(info, id, MailingType, selectors.mailing_get_owned))
