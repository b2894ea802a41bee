from django.core.management.base import BaseCommand

from mailing import queue
from mailing.delivery import lifecycle, runs, worker


class Command(BaseCommand):
    help = (
        "Send what is due, for cron instead of the cluster's schedules: one pass of what they do (start the "
        "runs that are due, pick up runs with work left: retries, dead workers), sent in this process unless "
        "--enqueue is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the runs to the django-q cluster instead of sending here."
        )

    def handle(self, *args, enqueue=False, **options):
        created = runs.run_due_mailings(enqueue=queue.enqueue_run if enqueue else None)
        swept = lifecycle.runs_sweep(enqueue=queue.enqueue_run if enqueue else None)
        self.stdout.write(
            f"{len(created)} run(s) started; {len(swept.enqueued)} run(s) with work left; "
            f"{len(swept.finished_runs)} run(s) and {len(swept.finished_mailings)} mailing(s) finished."
        )
        if enqueue:
            self.stdout.write("Handed to the cluster.")
            return
        for run_id in [run.pk for run in created] + swept.enqueued:
            result = worker.run_process(run_id=run_id, handover=None)
            self.stdout.write(
                f"Run {run_id}: {result.sent} sent, {result.deferred} deferred, {result.failed} failed, "
                f"{result.skipped} skipped ({result.stopped})."
            )
