from django.db import migrations

from mailing.periodic_tasks import PERIODIC_TASKS, ensure_periodic_tasks


def create_schedules(apps, schema_editor):
    ensure_periodic_tasks(apps.get_model("django_q", "Schedule"))


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[s["name"] for s in PERIODIC_TASKS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("mailing", "0002_delivery_engine"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
