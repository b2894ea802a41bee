"""Post images: what is accepted, where files go, and the thumbnail made from them."""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format name -> the extension the stored file gets (the uploaded name is not trusted).
ALLOWED_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
THUMBNAIL_SIZE = (480, 320)


def post_image_path(instance, filename: str) -> str:
    extension = getattr(instance, "_image_extension", "") or _extension_of(filename)
    return f"blog/images/{uuid.uuid4().hex}{extension}"


def post_thumbnail_path(instance, filename: str) -> str:
    return f"blog/thumbnails/{uuid.uuid4().hex}.jpg"


def _extension_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower()[:6] if dot >= 0 else ""


def image_format(file) -> str:
    """The Pillow format of an uploaded file, after checking that it is a whole, allowed picture."""
    max_bytes = settings.BLOG_IMAGE_MAX_BYTES
    if file.size is not None and file.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)s; the limit is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(max_bytes)},
        )
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with Image.open(file) as picture:
            found = picture.format
            width, height = picture.size
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not a picture (or it is damaged); upload a JPEG, PNG, GIF or WebP image."),
            code="invalid_image",
        ) from None
    finally:
        file.seek(position)
    if found not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted; upload a JPEG, PNG, GIF or WebP image."),
            code="invalid_image_type",
            params={"format": found or _("This kind of")},
        )
    max_side = settings.BLOG_IMAGE_MAX_SIDE
    if width > max_side or height > max_side:
        raise ValidationError(
            _("The image is %(width)s x %(height)s pixels; at most %(max)s on each side."),
            code="image_too_large",
            params={"width": width, "height": height, "max": max_side},
        )
    return found


def validate_post_image(file) -> None:
    # A file already stored was checked when it was uploaded; only new uploads are read here.
    if getattr(file, "_committed", False):
        return
    image_format(file)


def make_thumbnail(file) -> ContentFile:
    """A JPEG no larger than THUMBNAIL_SIZE, keeping the proportions (and the EXIF orientation)."""
    file.seek(0)
    with Image.open(file) as picture:
        picture.seek(0)  # the first frame of an animation
        small = ImageOps.exif_transpose(picture)
        small.thumbnail(THUMBNAIL_SIZE)
        if small.mode != "RGB":
            background = Image.new("RGB", small.size, "white")
            rgba = small.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            small = background
        output = io.BytesIO()
        small.save(output, format="JPEG", quality=85, optimize=True)
    file.seek(0)
    return ContentFile(output.getvalue(), name="thumbnail.jpg")
