import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.delivery.types import MailingRunType
from graphql_schema.mailing.types import MailingType
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_from, node_pk, not_found
from mailing import selectors
from mailing.bounces import services as bounce_services
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

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Send again to the ones a closed run did not reach: a new run (trigger RETRY) of its FAILED and "
            "DEFERRED rows, suppressed addresses SKIPPED. Refused while the run is open (code run_open) or "
            "another run of the mailing is sending, and when no row is left to retry. The run's owner only."
        ),
    )
    def retry_failed(self, info: Info, run_id: relay.GlobalID) -> MailingRunType:
        run = selectors.run_get(viewer=info.context.request.user, pk=node_pk(run_id, MailingRunType))
        if run is None:
            raise not_found("runId", "MailingRun")
        return bounce_services.run_retry_failed(run=run)
