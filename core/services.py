from typing import Any

from django.db import models


def model_update(*, instance: models.Model, fields: list[str], data: dict[str, Any]) -> list[str]:
    """Set those of `fields` that `data` carries on `instance`; return the names that changed.

    The caller validates and saves: this only applies values, so a partial update touches
    exactly what the client sent.
    """
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed
