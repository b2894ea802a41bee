"""Handing work to the django-q cluster. Callers enqueue with `transaction.on_commit`, so that a
task never starts before the rows it needs are visible, and a web request never touches SMTP."""

from django.conf import settings
from django_q.tasks import async_task


def enqueue_run(run_id: int, *, workers: int | None = None) -> None:
    """Have `workers` cluster workers send the run together (each claims its own batches)."""
    for _ in range(workers or settings.MAILING_RUN_WORKERS):
        async_task("mailing.tasks.process_run", run_id, task_name=f"mailing run {run_id}")


def enqueue_due_pass() -> None:
    async_task("mailing.tasks.due_pass", task_name="mailing: due runs")


def enqueue_run_once(run_id: int) -> None:
    """One more task for a run (a task handing the rest of a long run to a fresh one)."""
    enqueue_run(run_id, workers=1)


def enqueue_resume() -> None:
    """A scheduler pass and a sweep (a mailing enabled again: its due slot, its stopped runs)."""
    enqueue_due_pass()
    async_task("mailing.tasks.sweep_runs", task_name="mailing: sweep")
