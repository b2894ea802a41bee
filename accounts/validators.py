from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def validate_single_line(value: str) -> None:
    # The name goes into e-mail headers; a line break there would let a user inject headers.
    if "\n" in value or "\r" in value:
        raise ValidationError(_("Must be a single line."), code="multiline")


class MaximumLengthValidator:
    """Refuse absurdly long passwords before they are hashed (AUTH_PASSWORD_VALIDATORS)."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return f"Your password must contain at most {self.max_length} characters."
