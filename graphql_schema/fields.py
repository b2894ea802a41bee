"""The one way our types declare fields: `@django_type(Model, ...)`, whose fields are all FastFields.

strawberry-django marks every field as needing its resolver (`is_basic_field = False`), so that
strawberry builds an Info object, parses arguments and runs the extension chain for each field
of each row. Fields that need none of it (a plain column, a foreign key whose row came with the
list, a value computed from the row, the node's id) are told apart by FastField, once, and take strawberry's basic path
(`get_result` alone), which graphql_schema/execution.py shortens further. There is nothing to
remember: `django_type` makes every field of the type a FastField, and a FastField with a
resolver, an extension or async work keeps strawberry-django's path, but for one kind: a field
basic but for permissions decided by the viewer (`viewer_guards`), which execution.py tests
once per request and then reads as a basic field.

strawberry-django's own resolver exists to run the ORM safely under ASGI (it turns a database
read into a coroutine there). The API is served by the synchronous GraphQLView (Django runs it
in a thread under ASGI too), where the row's own read is the same read: a deferred column or
an unfetched foreign key loads as Django loads it. An async view would need that path back.
"""

import functools
import inspect
from collections.abc import Callable

import strawberry_django
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from strawberry import relay
from strawberry.types.base import get_object_definition
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.fields.types import field_type_map, input_field_type_map

from graphql_schema.permissions import ViewerPermission
from mailing.addresses import EmailAddressField

# strawberry-django maps model fields by their exact class: an international address is a String.
field_type_map[EmailAddressField] = str
input_field_type_map[EmailAddressField] = str

# Every node's id is its primary key. Declared on each type because strawberry otherwise finds
# that out by evaluating every annotation of the type's classes for every object it serializes.
ID_ATTR = "pk"
NODE_ID_DESCRIPTION = "The Globally Unique ID of this object"


class FastField(StrawberryDjangoField):
    """A type's field, on strawberry's basic path whenever nothing but the row is needed.

    Basic: a plain column, a forward foreign key (its row was selected or prefetched with the
    list, through the target type's get_queryset, and is read from the row's cache), or a value
    made by `compute(row)` (often from what the list query annotated on the row). Not basic: a
    field with a resolver, an extension or async work, a reverse relation, a connection.
    """

    compute: Callable | None = None

    @property
    def is_basic_field(self) -> bool:
        return not self.extensions and self._reads_only_the_row

    @property
    def viewer_guards(self) -> tuple[ViewerPermission, ...] | None:
        """The field's permissions when they are all decided by the viewer (and the row) and
        the field is basic but for them; None otherwise. graphql_schema.execution tests them
        once per request and then reads the field as a basic one (`get_result`, no info)."""
        if not self.extensions or not self._reads_only_the_row:
            return None
        if not all(isinstance(extension, ViewerPermission) for extension in self.extensions):
            return None
        return tuple(self.extensions)

    @property
    def _reads_only_the_row(self) -> bool:
        if self.is_async:
            return False
        if self.compute is not None:
            return True
        if self.base_resolver:
            return False
        if not self.is_relation:
            return True
        return isinstance(self._descriptor, ForwardManyToOneDescriptor)

    def get_result(self, source, info, args, kwargs):
        if self.compute is not None:
            return self.compute(source)
        # A loaded plain column is the row's own value: read it without strawberry-django's
        # generic lookup (a dozen isinstance tests and a descriptor call per field of each row).
        if source is not None and self._plain_attname is not None:
            try:
                return source.__dict__[self._plain_attname]
            except KeyError:  # deferred: the generic path loads it
                pass
        return super().get_result(source, info, args, kwargs)

    def __copy__(self):
        copied = super().__copy__()
        copied.compute = self.compute
        return copied

    @functools.cached_property
    def _plain_attname(self) -> str | None:
        """The row's key for a plain column; None for anything else (a file field's descriptor
        wraps its value, a relation is no column)."""
        descriptor = self._descriptor
        return descriptor.field.attname if type(descriptor) is DeferredAttribute else None

    @functools.cached_property
    def _descriptor(self):
        """The model's attribute for this field (None for a field that is no model attribute)."""
        model = self.origin_django_type.model if self.origin_django_type else None
        return getattr(model, self.django_name or self.python_name, None)


class NodeIdField(FastField):
    """A node's `id` from its type's name and its primary key, on the basic path.

    relay.Node's own `id` is a resolver field: for every row strawberry would build an Info object
    and run the extension chain to call it.
    """

    type_name: str = ""

    @property
    def is_basic_field(self) -> bool:
        return True

    def get_result(self, source, info, args, kwargs) -> relay.GlobalID:
        return relay.GlobalID(self.type_name, str(source.pk))

    def __copy__(self):
        copied = super().__copy__()
        copied.type_name = self.type_name
        return copied


def computed_field(compute: Callable, *, annotate=None, only=None, description: str):
    """A field whose value is `compute(row)`; declare its type on the class (`name: T = ...`).
    `annotate` and `only` tell the optimizer what the list query must annotate or select for it."""
    field = strawberry_django.field(field_cls=FastField, annotate=annotate, only=only, description=description)
    field.compute = compute
    return field


def annotated_field(*, name: str, expression: Callable, description: str):
    """A field computed in SQL: annotated on the list query (one query for a whole page), and
    computed with one query for an object that did not come from a list (a mutation's answer).

    `expression` makes the Django expression; `name` is the annotation's name on the row.
    """

    def compute(root) -> int:
        if name not in root.__dict__:
            model = root._meta.model
            root.__dict__[name] = (
                model._default_manager.filter(pk=root.pk)
                .annotate(**{name: expression()})
                .values_list(name, flat=True)
                .get()
            )
        return root.__dict__[name]

    return computed_field(compute, annotate={name: lambda info: expression()}, description=description)


def _node_id(cls) -> NodeIdField:
    """The node's `id`, declared as `_id`: the name relay.Node gives the field it replaces."""
    cls._id_attr = ID_ATTR
    # First, where relay.Node puts it (the order of the schema's fields follows the annotations).
    cls.__annotations__ = {"_id": relay.GlobalID, **inspect.get_annotations(cls)}
    return NodeIdField(python_name="_id", graphql_name="id", description=NODE_ID_DESCRIPTION)


def django_type(model, **kwargs):
    """`strawberry_django.type(model, **kwargs)` whose fields are all FastFields.

    A field declared with `strawberry_django.field(...)` (a description, a permission) or as a
    resolver method is made a FastField here; one declared by annotation alone is made one by
    strawberry-django through `field_cls`. A relay.Node gets its id the same way.
    """

    def wrap(cls):
        for value in list(vars(cls).values()):
            # The same object, of the subclass that only adds FastField's decisions: rebuilding it
            # would mean copying each of strawberry-django's constructor arguments.
            if type(value) is StrawberryDjangoField:
                value.__class__ = FastField
        if issubclass(cls, relay.Node):
            cls._id = _node_id(cls)
        decorated = strawberry_django.type(model, field_cls=FastField, **kwargs)(cls)
        if issubclass(cls, relay.Node):
            definition = get_object_definition(decorated, strict=True)
            (id_field,) = [field for field in definition.fields if field.python_name == "_id"]
            id_field.type_name = definition.name
        return decorated

    return wrap
