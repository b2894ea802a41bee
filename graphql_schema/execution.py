"""graphql-core's executor with a short path for the plain fields of a response.

A page of 100 rows is some 1,800 fields, and graphql-core spends about 13 microseconds on each:
it builds a resolve-info object (twelve attributes), looks at the arguments, calls the
resolver, then walks the type down to the scalar's serializer or the object's subfields. Most
of those fields are a column of the row or an object made from it: strawberry's basic fields
(see graphql_schema.fields), which need no info and no arguments. For those under a scalar, an
enum or an object type, this executor calls the resolver, then the serializer or the object's
subfields, directly.

A field that is basic but for its permissions, when those are decided by the viewer (and an
attribute of the row: graphql_schema.permissions.ViewerPermission), takes the same path: each
permission's rule for this request's viewer is made once, at its first row, and tested on each
row (a manager reading a hundred users' `email` decides once that a manager may). A row the
rule refuses takes graphql-core's path, where the permission extension gives its own answer.

Anything else, and anything that goes wrong before a field's value is in hand (an exception, a
null where the schema says non-null, a value the scalar refuses, an object of another type),
takes graphql-core's own path, which runs the field again and reports the error as it always
does; an error among an object's subfields is handled as graphql-core handles it. The short
path is off whenever a schema extension hooks into every field (`resolve`), since it would skip
that hook.

The loop is a copy of graphql-core's own, so it holds for the one version pinned in
requirements.txt (GRAPHQL_CORE_VERSION). On any other version `Executor` is graphql-core's own
executor (through strawberry's), and a warning says so once.
"""

import functools
import logging
from typing import Any

import graphql
from graphql import GraphQLNonNull, Undefined, is_leaf_type, is_object_type
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

logger = logging.getLogger(__name__)

# The graphql-core whose execute_fields ShortPathExecutor copies; requirements.txt pins it.
GRAPHQL_CORE_VERSION = "3.3.2"

_MISS = object()

# How each field is completed on the short path: (is_leaf, type, non_null, guarded), or None when it
# has no short path; `guarded` is (the strawberry field, its viewer permissions) for a field that
# is basic but for permissions decided by the viewer, None for a basic field. graphql-core's field
# definitions are unhashable, so a field is keyed by the object type that holds it (hashed by
# identity and kept alive by the key, so no key is ever reused by another field) and its name. A
# schema has a few hundred fields; the bound only matters for schemas made at run time (tests),
# and a full cache simply starts again.
_SHAPES: dict[tuple[Any, str], tuple[bool, Any, bool, tuple | None] | None] = {}
_SHAPES_MAX = 4096


def _basic_or_guarded(field_def) -> tuple[bool, tuple | None]:
    """Whether the field is basic (strawberry's `get_result` alone), and if not, (strawberry field,
    its viewer permissions) for a field basic but for those permissions.

    Not `resolve._is_default` alone: strawberry sets it on any field without a resolver, one
    whose extensions (a permission) must run included.
    """
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if getattr(field_def.resolve, "_is_default", False) and getattr(definition, "is_basic_field", False):
        return True, None
    guards = getattr(definition, "viewer_guards", None)
    return False, None if guards is None else (definition, guards)


def _shape(parent_type, name: str, field_def) -> tuple[bool, Any, bool, tuple | None] | None:
    """(is_leaf, type, non_null, guarded) for a basic field without arguments (or one guarded by
    viewer permissions only) under a leaf or an object type."""
    key = (parent_type, name)
    try:
        return _SHAPES[key]
    except KeyError:
        pass
    shape = None
    if not field_def.args:
        basic, guarded = _basic_or_guarded(field_def)
        type_ = field_def.type
        non_null = isinstance(type_, GraphQLNonNull)
        inner = type_.of_type if non_null else type_
        if (basic or guarded is not None) and (is_leaf_type(inner) or is_object_type(inner)):
            shape = (is_leaf_type(inner), inner, non_null, guarded)
    if len(_SHAPES) >= _SHAPES_MAX:
        _SHAPES.clear()
    _SHAPES[key] = shape
    return shape


def _leaf_value(leaf_type, value) -> Any:
    try:
        coerced = leaf_type.coerce_output_value(value)
    except Exception:  # graphql-core's path runs the field again and reports the error
        return _MISS
    return _MISS if coerced is None or coerced is Undefined else coerced


def _is_type_of(object_type, value) -> bool:
    if object_type.is_type_of is None:
        return True
    try:
        return object_type.is_type_of(value, None) is True
    except Exception:  # graphql-core's path checks it again and reports the error
        return False


class ShortPathExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each viewer permission's rule for this request's viewer, decided at its first row.
        self._row_rules: dict[Any, Any] = {}

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        """graphql-core's execute_fields (GRAPHQL_CORE_VERSION), with the short path.

        A copy of the loop rather than a wrapper around execute_field: one more Python frame for
        each of a page's 1,800 fields cost more than the short path saved.
        """
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        fields = parent_type.fields
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                name = node.name.value
                field_def = fields.get(name)
                result = _MISS
                if (
                    field_def is not None
                    and not node.arguments
                    and (shape := _shape(parent_type, name, field_def)) is not None
                ):
                    result = self._short_path(
                        field_def,
                        shape,
                        source_value,
                        field_details_list,
                        path,
                        response_name,
                        parent_type,
                        position_context,
                    )
                if result is _MISS:
                    field_path = Path(path, response_name, parent_type.name)
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _short_path(
        self, field_def, shape, source, field_details_list, path, response_name, parent_type, position_context
    ):
        """The field's completed value, or _MISS when graphql-core's path must answer.

        Nothing of the field has run when it answers _MISS but its (basic, side-effect free)
        resolver, which graphql-core's path calls again.
        """
        is_leaf, type_, non_null, guarded = shape
        try:
            if guarded is None:
                value = field_def.resolve(source, None)
            elif self._allows(guarded[1], source):
                value = guarded[0].get_result(source, None, [], {})
            else:  # refused: the permission's own path answers (its error, its null)
                return _MISS
        except Exception:
            return _MISS
        if value is None:
            return _MISS if non_null else None
        if is_leaf:
            return _leaf_value(type_, value)
        if not _is_type_of(type_, value):
            return _MISS
        # An object: its subfields, exactly as graphql-core's complete_object_value goes on. An
        # error among them that reaches this field is handled as graphql-core's execute_field
        # handles it (recorded here, or raised on to the parent when the field is non-null).
        field_path = Path(path, response_name, parent_type.name)
        try:
            completed = self.collect_and_execute_subfields(
                type_, field_details_list, field_path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, field_path)
            return None
        if self.is_awaitable(completed):

            async def await_completed() -> Any:
                try:
                    return await completed
                except Exception as raw_error:
                    self.handle_field_error(raw_error, field_def.type, field_details_list, field_path)
                    return None

            return await_completed()
        return completed

    def _allows(self, guards, source) -> bool:
        """Whether each of the field's viewer permissions lets this request's viewer read it on `source`."""
        rules = self._row_rules
        for guard in guards:
            rule = rules.get(guard)
            if rule is None:
                rule = rules[guard] = guard.row_rule(self.context_value.request.user)
            if not rule(source):
                return False
        return True


@functools.cache
def executor_for(version: str) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The execution context for graphql-core `version`: the short path only on the pinned one.

    Cached per version, so the warning is logged once.
    """
    if version == GRAPHQL_CORE_VERSION:
        return ShortPathExecutor
    logger.warning(
        "graphql-core %s is installed, but graphql_schema.execution copies %s's executor: using "
        "graphql-core's own executor (correct, slower). Install the version requirements.txt pins.",
        version,
        GRAPHQL_CORE_VERSION,
    )
    return StrawberryGraphQLCoreExecutionContext


# The schema's execution context, decided once at import.
Executor = executor_for(graphql.version)
