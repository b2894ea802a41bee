import strawberry

from mailing import models

DeliveryStatus = strawberry.enum(
    models.DeliveryStatus,
    name="DeliveryStatus",
    description=(
        "Where one recipient of a run is: QUEUED (waiting), SENDING (a worker holds it), SENT (the server "
        "accepted it), DEFERRED (to be retried), FAILED (given up), SKIPPED (not sent, e.g. unsubscribed or "
        "suppressed), BOUNCED (refused at RCPT with a 5xx, or reported undeliverable by a bounce later)."
    ),
)
RunStatus = strawberry.enum(
    models.RunStatus,
    name="MailingRunStatus",
    description="Where a run is: PAUSED while the mail server cannot be reached; it resumes by itself.",
)
RunTrigger = strawberry.enum(models.RunTrigger, name="MailingRunTrigger", description="What started a run.")
