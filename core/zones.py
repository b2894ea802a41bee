"""Time zones (IANA names) and languages a user may choose."""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "UTC"


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            _("%(value)s is not a time zone name of the IANA database (such as Europe/Moscow)."),
            code="invalid_time_zone",
            params={"value": repr(value)},
        )


def validate_language(value: str) -> None:
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise ValidationError(
            _("Unknown language %(value)s; expected one of %(choices)s."),
            # Not "invalid_choice": a model field would replace the message of that code by its own.
            code="invalid_language",
            params={"value": repr(value), "choices": ", ".join(codes)},
        )


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)
