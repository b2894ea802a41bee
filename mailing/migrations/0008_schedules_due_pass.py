from django.db import migrations

from mailing.periodic_tasks import ensure_periodic_tasks


def repair_schedules(apps, schema_editor):
    # The due pass's task was mailing.tasks.run_due_mailings, now mailing.tasks.due_pass:
    # the schedule of that name is pointed at it (and any other drift repaired).
    ensure_periodic_tasks(apps.get_model("django_q", "Schedule"))


class Migration(migrations.Migration):

    dependencies = [
        ("mailing", "0007_time_zones"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(repair_schedules, migrations.RunPython.noop)]
