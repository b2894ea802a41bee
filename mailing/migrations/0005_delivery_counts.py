"""A run's counts, frozen when it closes, and the mailing on each delivery row.

Existing rows are filled in: each delivery row gets its run's mailing, and each closed run
(FINISHED or CANCELLED) its counts.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

CLOSED_RUN = ["FINISHED", "CANCELLED"]


def fill(apps, schema_editor):
    MailingRun = apps.get_model("mailing", "MailingRun")
    DeliveryAttempt = apps.get_model("mailing", "DeliveryAttempt")
    DeliveryAttempt.objects.update(
        mailing_id=Subquery(MailingRun.objects.filter(pk=OuterRef("run_id")).values("mailing_id")[:1])
    )

    def count(*statuses):
        rows = DeliveryAttempt.objects.filter(run_id=OuterRef("pk"))
        if statuses:
            rows = rows.filter(status__in=statuses)
        rows = rows.order_by().values("run_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    MailingRun.objects.filter(status__in=CLOSED_RUN).update(
        total_count=count(), sent_count=count("SENT"), failed_count=count("FAILED"), skipped_count=count("SKIPPED")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mailing", "0004_delivery_sender"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailingrun",
            name="total_count",
            field=models.PositiveIntegerField(blank=True, help_text="Recipient rows; set when it closes.", null=True),
        ),
        migrations.AddField(
            model_name="mailingrun",
            name="sent_count",
            field=models.PositiveIntegerField(blank=True, help_text="Rows SENT; set when it closes.", null=True),
        ),
        migrations.AddField(
            model_name="mailingrun",
            name="failed_count",
            field=models.PositiveIntegerField(blank=True, help_text="Rows FAILED; set when it closes.", null=True),
        ),
        migrations.AddField(
            model_name="mailingrun",
            name="skipped_count",
            field=models.PositiveIntegerField(blank=True, help_text="Rows SKIPPED; set when it closes.", null=True),
        ),
        migrations.AddField(
            model_name="deliveryattempt",
            name="mailing",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="delivery_attempts",
                to="mailing.mailing",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deliveryattempt",
            name="mailing",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="delivery_attempts",
                to="mailing.mailing",
            ),
        ),
        migrations.AddIndex(
            model_name="mailingrun",
            index=models.Index(fields=["mailing", "status"], name="mailing_run_mailing_status_idx"),
        ),
        migrations.AddIndex(
            model_name="deliveryattempt",
            index=models.Index(fields=["mailing", "status", "-id"], name="mailing_delivery_log_idx"),
        ),
        migrations.AddIndex(
            model_name="deliveryattempt",
            index=models.Index(fields=["mailing", "-id"], name="mailing_delivery_log_all_idx"),
        ),
    ]
