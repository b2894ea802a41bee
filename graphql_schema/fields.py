"""Field helpers shared by the domains."""

from collections.abc import Callable

import strawberry_django


def annotated_field(*, name: str, expression: Callable, description: str):
    """A field computed in SQL: annotated on the list query (one query for a whole page), and
    computed with one query for an object that did not come from a list (a mutation's answer).

    `expression` makes the Django expression; `name` is the annotation's name on the row.
    """

    def resolve(root) -> int:
        if name not in root.__dict__:
            model = root._meta.model
            root.__dict__[name] = (
                model._default_manager.filter(pk=root.pk)
                .annotate(**{name: expression()})
                .values_list(name, flat=True)
                .get()
            )
        return root.__dict__[name]

    return strawberry_django.field(
        resolver=resolve, annotate={name: lambda info: expression()}, description=description
    )
