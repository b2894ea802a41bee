"""django-q tasks: thin, they load by id and call a service."""

from mailing.delivery import lifecycle, runs, worker


def process_run(run_id: int) -> dict:
    return worker.run_process(run_id=run_id).as_dict()


def run_due_mailings() -> int:
    return len(runs.run_due_mailings())


def sweep_runs() -> dict:
    return lifecycle.runs_sweep().as_dict()
