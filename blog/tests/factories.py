import io
from datetime import timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from blog.models import Post


def picture(name: str = "picture.png", size=(800, 600), color="teal", format: str = "PNG") -> SimpleUploadedFile:
    """A real image file, as a browser would upload it."""
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, format=format)
    return SimpleUploadedFile(name, output.getvalue(), content_type=f"image/{format.lower()}")


class PostFactory(factory.django.DjangoModelFactory):
    """A published post without an image (tests that need files use the services)."""

    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Post {n}")
    body = "Some words about mailings."
    is_published = True
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
