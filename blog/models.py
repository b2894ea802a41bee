from django.db import models

from blog.images import post_image_path, post_thumbnail_path, validate_post_image
from core.models import TimeStampedModel


class Post(TimeStampedModel):
    """A blog post: shown on the home page and at /blog/<id>/ once published."""

    title = models.CharField(max_length=200, help_text="The post's title.")
    body = models.TextField(max_length=50_000, help_text="The post's text (plain text; blank lines split paragraphs).")
    image = models.ImageField(
        upload_to=post_image_path,
        blank=True,
        validators=[validate_post_image],
        help_text="A JPEG, PNG, GIF or WebP picture.",
    )
    thumbnail = models.ImageField(
        upload_to=post_thumbnail_path, blank=True, editable=False, help_text="A small copy of the image, for lists."
    )
    is_published = models.BooleanField(
        "published", default=False, db_index=True, help_text="Only published posts are shown to readers."
    )
    published_at = models.DateTimeField(
        "publication date",
        null=True,
        blank=True,
        help_text="When the post appears; set to the moment of publishing when left empty. A future date schedules it.",
    )
    view_count = models.PositiveBigIntegerField(default=0, editable=False, help_text="How many times it was read.")

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["is_published", "published_at", "id"], name="blog_post_published_idx")]

    def __str__(self):
        return self.title
