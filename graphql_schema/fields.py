"""Field helpers shared by the domains."""

import functools
from collections.abc import Callable

import strawberry_django
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.fields.types import field_type_map, input_field_type_map

from mailing.addresses import EmailAddressField

# strawberry-django maps model fields by their exact class: an international address is a String.
field_type_map[EmailAddressField] = str
input_field_type_map[EmailAddressField] = str


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

    return computed_field(resolve, annotate={name: lambda info: expression()}, description=description)


class ColumnField(StrawberryDjangoField):
    """A type's field, read straight off the row when it is a plain column or a foreign key.

    strawberry-django marks all its fields as needing their resolver, so that strawberry builds
    an Info object, parses arguments and runs the extension chain for each field of each row:
    most of the time of a 100-row page. A column or a foreign key with no resolver and no
    extension needs none of it, and strawberry's basic path reads it with `get_result` alone
    (the same read: deferred columns and unfetched rows included).
    """

    @property
    def is_basic_field(self) -> bool:
        if self.base_resolver or self.extensions or self.is_async:
            return False
        if not self.is_relation:
            return True
        # A foreign key: its row was selected or prefetched with the list (through the target
        # type's get_queryset), and is read from the row's cache without any Info.
        return isinstance(self._descriptor, ForwardManyToOneDescriptor)

    def get_result(self, source, info, args, kwargs):
        # A loaded column is the row's own value: read it without the generic lookup (a file
        # field's descriptor wraps its value, so it keeps the generic path).
        if source is not None and self._plain_column:
            try:
                return source.__dict__[self._attname]
            except KeyError:  # deferred: the generic path loads it
                pass
        return super().get_result(source, info, args, kwargs)

    @functools.cached_property
    def _attname(self) -> str:
        return self.django_name or self.python_name

    @functools.cached_property
    def _descriptor(self):
        """The model's attribute for this field (None for a field that is no model attribute)."""
        model = self.origin_django_type.model if self.origin_django_type else None
        return getattr(model, self._attname, None)

    @functools.cached_property
    def _plain_column(self) -> bool:
        return type(self._descriptor) is DeferredAttribute


# Every type of the API is declared with this: `@django_type(Model, ...)`.
django_type = functools.partial(strawberry_django.type, field_cls=ColumnField)


class ComputedField(ColumnField):
    """A field made by `compute(row)`, on strawberry's basic path like a column (see ColumnField).

    For values computed from the row alone, often from what the list query annotated on it; a
    resolver field would pay the resolver path for every row.
    """

    compute: Callable | None = None

    @property
    def is_basic_field(self) -> bool:
        return not self.extensions and not self.is_async

    def get_result(self, source, info, args, kwargs):
        return self.compute(source)

    def __copy__(self):
        copied = super().__copy__()
        copied.compute = self.compute
        return copied


def computed_field(compute: Callable, *, annotate=None, description: str):
    """A field whose value is `compute(row)`; declare its type on the class (`name: T = ...`)."""
    field = strawberry_django.field(field_cls=ComputedField, annotate=annotate, description=description)
    field.compute = compute
    return field
