from django.db import models


class TimeStampedModel(models.Model):
    """Base for every domain row: when it was created and last changed (aware, UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When it was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When it last changed.")

    class Meta:
        abstract = True
