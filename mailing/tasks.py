"""django-q tasks: thin, they load by id and call a service."""

from mailing.services import delivery


def process_run(run_id: int) -> dict:
    return delivery.run_process(run_id=run_id).as_dict()


def run_due_mailings() -> int:
    return len(delivery.run_due_mailings())


def sweep_runs() -> dict:
    return delivery.runs_sweep().as_dict()
