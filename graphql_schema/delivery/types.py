from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import auto, relay

from graphql_schema.context import Info, viewer
from graphql_schema.delivery.enums import DeliveryStatus, RunStatus, RunTrigger
from graphql_schema.delivery.filters import DeliveryAttemptFilter
from graphql_schema.fields import computed_field, django_type
from mailing import models, selectors
from mailing.bounces import selectors as bounce_selectors

if TYPE_CHECKING:
    from graphql_schema.mailing.types import ClientType, MailingType

_MAILING_TYPES = "graphql_schema.mailing.types"


@strawberry.enum(name="DeliveryRateWarningCode", description="Which rate of a mailing is too high.")
class DeliveryRateWarningCode(Enum):
    BOUNCE_RATE_HIGH = strawberry.enum_value(
        "bounce_rate_high", description="More than 2 % of the accepted messages bounced."
    )
    COMPLAINT_RATE_HIGH = strawberry.enum_value(
        "complaint_rate_high", description="More than 0.1 % of the accepted messages were reported as spam."
    )


@strawberry.type(
    name="DeliveryRateWarning",
    description=(
        "A rate above the level at which the big mailbox providers start to filter or refuse a sender's mail."
    ),
)
class DeliveryRateWarningType:
    code: DeliveryRateWarningCode = strawberry.field(description="Which rate it is.")
    rate: float = strawberry.field(description="The rate, as a fraction (0.025 is 2.5 %).")
    limit: float = strawberry.field(description="The level it passed, as a fraction.")


@strawberry.type(name="MailingStats", description="How the deliveries of a mailing (all its runs) stand.")
class MailingStatsType:
    total: int = strawberry.field(description="Recipient rows over all runs.")
    sent: int = strawberry.field(description="Accepted by the mail server.")
    deferred: int = strawberry.field(description="Refused for now; to be retried.")
    failed: int = strawberry.field(description="Given up: refused for good, or too many attempts.")
    skipped: int = strawberry.field(
        description="Not sent on purpose (unsubscribed, suppressed, deleted, the end passed)."
    )
    pending: int = strawberry.field(description="Not tried yet, or being sent right now.")
    bounced: int = strawberry.field(
        description="Bounced: refused at RCPT with a 5xx, or accepted and then reported undeliverable (a DSN)."
    )
    complained: int = strawberry.field(description="Reported as spam by their recipient (a feedback-loop report).")

    @strawberry.field(description="Bounced rows as a fraction of the accepted ones (sent + bounced); 0 when none.")
    def bounce_rate(self) -> float:
        return self._rates().bounce_rate

    @strawberry.field(description="Complaints as a fraction of the accepted rows (sent + bounced); 0 when none.")
    def complaint_rate(self) -> float:
        return self._rates().complaint_rate

    @strawberry.field(
        description="The rates above their limit (bounces 2 %, complaints 0.1 %); empty when all is well."
    )
    def warnings(self) -> list[DeliveryRateWarningType]:
        return [
            DeliveryRateWarningType(code=DeliveryRateWarningCode(w.code), rate=w.rate, limit=w.limit)
            for w in self._rates().warnings
        ]

    def _rates(self) -> bounce_selectors.Rates:
        return bounce_selectors.delivery_rates(sent=self.sent, bounced=self.bounced, complained=self.complained)


@django_type(
    models.MailingRun, name="MailingRun", description="One sending of a mailing: a slot of its schedule, or by hand."
)
class MailingRunType(relay.Node):
    scheduled_for: auto
    started_at: auto
    finished_at: auto
    status: RunStatus = strawberry_django.field(description="Where the run is: waiting, sending, paused or done.")
    trigger: RunTrigger
    paused_until: auto
    last_error: auto
    mailing: Annotated["MailingType", strawberry.lazy(_MAILING_TYPES)] = strawberry_django.field(
        description="The mailing this run sends."
    )
    stats: MailingStatsType = computed_field(
        lambda run: MailingStatsType(**selectors.run_stats(run=run)),
        annotate=selectors.RUN_STATS,
        description=(
            "This run's delivery counts: counted live while it is open, as stored when it closed "
            "(computed in the query that lists runs)."
        ),
    )
    is_open: bool = computed_field(
        lambda run: run.status in models.OPEN_RUN,
        only=["status"],
        description="Whether the run is still PENDING, RUNNING or PAUSED.",
    )

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.run_list(viewer=viewer(info), base=queryset)


@strawberry.type(name="DeliveryDayCount", description="The outcomes of one day's last attempts.")
class DeliveryDayCountType:
    day: date = strawberry.field(description="The day, in the viewer's time zone.")
    sent: int = strawberry.field(description="Rows accepted by the mail server, last tried that day.")
    deferred: int = strawberry.field(description="Rows refused for now (to be retried), last tried that day.")
    failed: int = strawberry.field(description="Rows given up, last tried that day.")


@django_type(
    models.DeliveryAttempt,
    name="DeliveryAttempt",
    filters=DeliveryAttemptFilter,
    description="One recipient of one run: its status, its attempts and the mail server's last reply.",
)
class DeliveryAttemptType(relay.Node):
    email: auto
    client: Annotated["ClientType", strawberry.lazy(_MAILING_TYPES)] | None = strawberry_django.field(
        description="The client; null once the client is deleted."
    )
    status: DeliveryStatus = strawberry_django.field(description="Where this recipient of the run is.")
    attempts: auto
    last_attempt_at: auto
    next_attempt_at: auto
    smtp_code: auto
    server_response: auto
    message_id: auto
    dkim_domain: auto

    @strawberry_django.field(
        only=["dkim_domain", "attempts"],
        description=(
            "Whether the last attempt was DKIM-signed (by `dkimDomain`'s key); false: sent unsigned, because its "
            "From domain has no key (see `manage.py dkim_keygen`); null: never tried."
        ),
    )
    def dkim_signed(self) -> bool | None:
        return bool(self.dkim_domain) if self.attempts else None

    run: MailingRunType = strawberry_django.field(description="The run this row belongs to.")
    created_at: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.delivery_attempt_list(viewer=viewer(info), base=queryset)
