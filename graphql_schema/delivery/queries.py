from collections.abc import Iterable
from typing import Annotated

import strawberry
import strawberry_django
from django.utils.translation import gettext as _
from strawberry import relay

from graphql_schema.context import Info, viewer
from graphql_schema.delivery.types import DeliveryAttemptType, DeliveryDayCountType, MailingRunType
from graphql_schema.errors import argument_error
from graphql_schema.mailing.types import MailingType
from graphql_schema.pagination import KeysetConnection
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_pk
from mailing import models, selectors

MAX_OPEN_RUNS = 100


def _argument_error(argument: str, message: str, code: str = "out_of_range"):
    return argument_error(argument, message, code=code)


@strawberry.type
class DeliveryQuery:
    @strawberry_django.connection(
        KeysetConnection[DeliveryAttemptType],
        extensions=[IsAuthenticated()],
        description=(
            "The delivery log of your mailings, newest first (a run's rows are made as it starts, so newest run "
            "first); filter by mailing, run, status or client. Paged by keyset: deep pages are as fast as the first."
        ),
    )
    def delivery_attempts(self, info: Info) -> Iterable[models.DeliveryAttempt]:
        return selectors.delivery_log(viewer=viewer(info))

    @strawberry_django.field(
        extensions=[IsAuthenticated()],
        description=(
            "Sent, deferred and failed rows of your own mailings per day of their last attempt: one entry "
            "per day for the last `days` days (today included, in your time zone), oldest first, zeros "
            "for days with nothing. `mailing` narrows it to one mailing."
        ),
    )
    def delivery_daily_counts(
        self,
        info: Info,
        days: Annotated[int, strawberry.argument(description="How many days, 1 to 366.")] = 30,
        mailing: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this mailing's rows.")] = None,
    ) -> list[DeliveryDayCountType]:
        if not 1 <= days <= selectors.MAX_DAILY_COUNT_DAYS:
            raise _argument_error(
                "days", _("Argument 'days' must be between 1 and %(max)d.") % {"max": selectors.MAX_DAILY_COUNT_DAYS}
            )
        user = viewer(info)
        mailing_id = None
        if mailing is not None:
            mailing_id = selectors.as_pk(node_pk(mailing, MailingType))
            if mailing_id is None:
                raise _argument_error("mailing", _("Argument 'mailing' is not the id of a mailing."), "not_found")
        counts = selectors.delivery_daily_counts(viewer=user, days=days, mailing_id=mailing_id)
        return [DeliveryDayCountType(**entry) for entry in counts]

    @strawberry_django.field(
        extensions=[IsAuthenticated()],
        description="Your open runs (pending, running or paused), newest first, with their live stats.",
    )
    def open_runs(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many runs, 1 to 100.")] = 20,
    ) -> list[MailingRunType]:
        if not 1 <= first <= MAX_OPEN_RUNS:
            raise _argument_error(
                "first", _("Argument 'first' must be between 1 and %(max)d.") % {"max": MAX_OPEN_RUNS}
            )
        return selectors.run_open_list(viewer=viewer(info), first=first)
