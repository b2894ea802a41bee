from django.db import migrations
from django.db.models import F


def verify_existing(apps, schema_editor):
    # Accounts that predate e-mail verification were made by an administrator (createsuperuser,
    # the admin): they keep working rather than being locked out by the new login rule.
    User = apps.get_model("accounts", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_sessions_revoked_and_tokens")]

    operations = [migrations.RunPython(verify_existing, migrations.RunPython.noop)]
