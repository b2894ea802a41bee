from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from mailing.delivery import runs, worker
from mailing.delivery.worker import Stopped
from mailing.models import DeliveryStatus, Mailing, MailingRun
from mailing.selectors import as_pk
from mailing.smtp import AuthenticationFailed

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Send a mailing now, from this shell: a new run, sent in this process, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("mailing_id", help="The mailing's id (a number, as in the admin).")

    def handle(self, *args, mailing_id, **options):
        mailing = Mailing.objects.filter(pk=as_pk(mailing_id)).first()
        if mailing is None:
            raise CommandError(f"Mailing {mailing_id} does not exist.")
        try:
            run = runs.mailing_send_now(mailing=mailing, enqueue=None)
        except ValidationError as error:
            raise CommandError(f"Mailing {mailing.pk} cannot be sent now: {' '.join(error.messages)}") from None

        total = run.attempts.count()
        queued = run.attempts.filter(status=DeliveryStatus.QUEUED).count()
        self.stdout.write(f"Mailing {mailing.pk} ({mailing}), run {run.pk}: {queued} of {total} recipients to send.")

        def progress(result):
            done = result.sent + result.deferred + result.failed + result.skipped + result.bounced
            filled = BAR_WIDTH * done // queued if queued else BAR_WIDTH
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stdout.write(f"\r[{bar}] {done}/{queued}", ending="")
            self.stdout.flush()

        result = worker.run_process(run_id=run.pk, on_batch=progress, handover=None)
        while result.stopped == Stopped.HANDED_OVER:
            more = worker.run_process(run_id=run.pk, on_batch=progress, handover=None)
            for name in ("sent", "deferred", "failed", "skipped", "bounced", "connection_failures"):
                setattr(more, name, getattr(more, name) + getattr(result, name))
            result = more
        if queued:
            self.stdout.write("")

        counts = self._counts(run)
        self.stdout.write(
            f"Sent {counts[DeliveryStatus.SENT]}, deferred {counts[DeliveryStatus.DEFERRED]}, "
            f"failed {counts[DeliveryStatus.FAILED]}, bounced {counts[DeliveryStatus.BOUNCED]}, "
            f"skipped {counts[DeliveryStatus.SKIPPED]} (of {total})."
        )
        run.refresh_from_db()
        if result.stopped == Stopped.PAUSED and AuthenticationFailed.describes(run.last_error):
            reply = run.last_error.removeprefix(AuthenticationFailed.PREFIX)
            self.stderr.write(
                f"The mail server refused the login: authentication failed ({reply}); "
                "the run is paused. Check EMAIL_HOST_USER and EMAIL_HOST_PASSWORD; the run is tried again, with one "
                "login, when its pause is over."
            )
        elif result.stopped == Stopped.PAUSED:
            self.stderr.write(
                f"The mail server could not be reached ({run.last_error}); the run is paused and resumes by "
                "itself while the cluster runs."
            )
        elif counts[DeliveryStatus.DEFERRED]:
            self.stdout.write("Deferred recipients are retried by the cluster (manage.py qcluster).")
        if result.stopped == Stopped.ERROR:
            raise CommandError("Sending stopped on an unexpected error; see the log. Nothing was lost.")

    @staticmethod
    def _counts(run: MailingRun) -> dict[str, int]:
        counts = dict.fromkeys(DeliveryStatus.values, 0)
        counts.update(run.attempts.order_by().values_list("status").annotate(Count("id")))
        return counts
