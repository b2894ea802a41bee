"""The cluster's periodic tasks: django-q `Schedule` rows that call the engine every minute.

Created idempotently, by a migration and by `setup_schedules`. (When a mailing's own runs are
due is `mailing.scheduling`.)
"""

PERIODIC_TASKS = [
    {"name": "mailing: run due mailings", "func": "mailing.tasks.due_pass"},
    {"name": "mailing: sweep runs", "func": "mailing.tasks.sweep_runs"},
    # Does nothing until BOUNCE_IMAP_HOST is set.
    {"name": "mailing: read bounces", "func": "mailing.bounces.tasks.read_bounce_mailbox"},
]


def ensure_periodic_tasks(schedule_model) -> list[str]:
    """Create or repair the every-minute schedules; return the names that were created or changed.

    Takes the model so that a migration can pass its historical one.
    """
    changed = []
    for spec in PERIODIC_TASKS:
        wanted = {"func": spec["func"], "schedule_type": "I", "minutes": 1, "repeats": -1}
        schedule = schedule_model.objects.filter(name=spec["name"]).order_by("id").first()
        if schedule is None:
            schedule_model.objects.create(name=spec["name"], **wanted)
            changed.append(spec["name"])
            continue
        if any(getattr(schedule, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(schedule, key, value)
            schedule.save()
            changed.append(spec["name"])
    return changed
