"""Handing work to the django-q cluster. Callers enqueue with `transaction.on_commit`, so that a
task never starts before the rows it needs are visible, and a web request never touches SMTP.

The truth is in the database: a task that cannot be enqueued (Redis down) is logged and left to
the sweeper, which hands every unattended run with work to the cluster each minute, so the run
goes out as soon as the broker is back. The caller is not failed: its work is committed.
"""

import logging

from django.conf import settings
from django_q.tasks import async_task

from mailing.models import MailingRun

logger = logging.getLogger(__name__)

# The reservations a run is made or swept with (mailing.delivery.runs, claims.run_reserve).
RESERVED_FOR_A_TASK = ("queue", "sweeper")


def _enqueue(func: str, *args, task_name: str) -> bool:
    try:
        async_task(func, *args, task_name=task_name)
    except Exception as error:  # any broker's failure: the sweeper recovers whatever it was
        logger.warning("Could not enqueue %s (the sweeper will hand it on): %s", task_name, error)
        return False
    return True


def enqueue_run(run_id: int, *, workers: int | None = None) -> None:
    """Have `workers` cluster workers send the run together (each claims its own batches)."""
    for _ in range(workers or settings.MAILING_RUN_WORKERS):
        if not _enqueue("mailing.tasks.process_run", run_id, task_name=f"mailing run {run_id}"):
            # Not reserved for a task that will never come: the sweeper's next pass takes it.
            MailingRun.objects.filter(pk=run_id, claimed_by__in=RESERVED_FOR_A_TASK).update(lease_until=None)
            return


def enqueue_due_pass() -> None:
    _enqueue("mailing.tasks.due_pass", task_name="mailing: due runs")


def enqueue_run_once(run_id: int) -> None:
    """One more task for a run (a task handing the rest of a long run to a fresh one)."""
    enqueue_run(run_id, workers=1)


def enqueue_resume() -> None:
    """A scheduler pass and a sweep (a mailing enabled again: its due slot, its stopped runs)."""
    enqueue_due_pass()
    _enqueue("mailing.tasks.sweep_runs", task_name="mailing: sweep")
