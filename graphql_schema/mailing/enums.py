import strawberry

from mailing import models

Periodicity = strawberry.enum(models.Periodicity, name="Periodicity", description="How often a mailing runs.")
MailingStatus = strawberry.enum(
    models.MailingStatus, name="MailingStatus", description="Where a mailing is in its life; moved by the engine."
)
