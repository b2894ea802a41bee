from django.core.management.base import BaseCommand
from django_q.models import Schedule

from mailing.periodic_tasks import PERIODIC_TASKS, ensure_periodic_tasks


class Command(BaseCommand):
    help = "Create the cluster's schedules (due mailings and the sweeper, every minute); safe to run again."

    def handle(self, *args, **options):
        changed = ensure_periodic_tasks(Schedule)
        for spec in PERIODIC_TASKS:
            state = "created or repaired" if spec["name"] in changed else "already in place"
            self.stdout.write(f"{spec['name']} -> {spec['func']} every minute: {state}")
