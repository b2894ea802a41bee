from django.core.management.base import BaseCommand
from django_q.models import Schedule

from mailing.schedules import SCHEDULES, ensure_schedules


class Command(BaseCommand):
    help = "Create the cluster's schedules (due mailings and the sweeper, every minute); safe to run again."

    def handle(self, *args, **options):
        changed = ensure_schedules(Schedule)
        for spec in SCHEDULES:
            state = "created or repaired" if spec["name"] in changed else "already in place"
            self.stdout.write(f"{spec['name']} -> {spec['func']} every minute: {state}")
