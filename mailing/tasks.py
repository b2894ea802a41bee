"""django-q tasks: thin, they load by id and call a service.

Their dotted paths are stored in the cluster's queue and in its `Schedule` rows
(`mailing.periodic_tasks`): a renamed task needs a migration that repairs the rows.
"""

from mailing.delivery import lifecycle, runs, stopping, worker


def process_run(run_id: int) -> dict:
    with stopping.task():
        return worker.run_process(run_id=run_id).as_dict()


def due_pass() -> int:
    """The scheduler's pass, every minute and when a mailing becomes due: `runs.run_due_mailings`."""
    return len(runs.run_due_mailings())


def sweep_runs() -> dict:
    return lifecycle.runs_sweep().as_dict()
