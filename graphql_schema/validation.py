"""The request limits, as graphql-core validation rules whose cost grows with the document's text.

strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again each time it is
spread, so a chain of fragments that each spread the next twice costs 2^n walks (18 levels, 744
characters, took 6 s). Here each fragment is measured once and its figures are reused wherever it
is spread. graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields that
land at one place of the response, so 490 copies of `me { email }` cost 120,000 comparisons (2 s):
`BoundedOverlappingFieldsRule` first counts the fields at each place of the response and refuses
the document, without comparing anything, when one response name is selected more than
MAX_SAME_NAME times at one place, or the fields at all places add up to more than MAX_FIELDS.

The figures of the limits are read from the settings on each request; `ValidationCache` keys its
answers by them and by the document as graphql-core prints it (comments and spacing do not count).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    print_ast,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

# A response name selected more often than this at one place of the response (`{ me { email }
# me { email } ... }`, counting the fields of inline fragments and of every fragment spread there)
# is refused before the overlapping-fields rule compares them pairwise.
MAX_SAME_NAME = 20
# The fields at every place of the response, each fragment counted where it is spread: a bound on
# the overlapping-fields rule's walk (the web app's largest page selects about 150).
MAX_FIELDS = 5000
# Fragment definitions in one document. graphql-core's rules each walk the fragments a spread
# reaches, so their cost grows faster than the document: a chain of 150 fragments took 64 ms to
# validate, one of 250 (still inside the token limit) more than twice that. Real clients define
# a handful (GraphiQL's introspection query: 3).
MAX_FRAGMENTS = 64


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [definition for definition in document.definitions if isinstance(definition, OperationDefinitionNode)]


class _Measure:
    """The depth and the alias count of selection sets, each fragment measured once.

    The depth counts the fields that have a selection set, as strawberry's QueryDepthLimiter
    does (`{ me { email } }` is 1; introspection fields count 0); the alias count counts an
    alias once for each time its fragment is spread, as its MaxAliasesLimiter does. A fragment
    that spreads itself (a cycle, which graphql-core refuses) and an unknown one count 0.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.measured: dict[str, tuple[int, int]] = {}

    def fragment(self, name: str) -> tuple[int, int]:
        if name not in self.measured:
            definition = self.fragments.get(name)
            self.measured[name] = (0, 0)  # while it is measured: a spread of itself counts 0
            if definition is not None:
                self.measured[name] = self.selection_set(definition.selection_set)
        return self.measured[name]

    def selection_set(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                if selection.selection_set is not None and not selection.name.value.startswith("__"):
                    inner_depth, inner_aliases = self.selection_set(selection.selection_set)
                    depth = max(depth, 1 + inner_depth)
                    aliases += inner_aliases
                elif selection.selection_set is not None:
                    aliases += self.selection_set(selection.selection_set)[1]
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_aliases = self.selection_set(selection.selection_set)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_aliases = self.fragment(selection.name.value)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
        return depth, aliases


class DepthAndAliasLimitRule(ValidationRule):
    """GRAPHQL_MAX_DEPTH for each operation and GRAPHQL_MAX_ALIASES for the document, worded as
    strawberry's limiters word them."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        max_depth, max_aliases = settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES
        measure = _Measure(_fragments(context.document))
        total_aliases = 0
        try:
            for operation in _operations(context.document):
                depth, aliases = measure.selection_set(operation.selection_set)
                total_aliases += aliases
                if depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", [operation])
                    )
        except RecursionError:
            # Only a document nested far beyond any depth limit gets here.
            self.report_error(GraphQLError(f"The document exceeds maximum operation depth of {max_depth}"))
            return
        if total_aliases > max_aliases:
            self.report_error(GraphQLError(f"{total_aliases} aliases found. Allowed: {max_aliases}"))


def _response_name(field: FieldNode) -> str:
    return field.alias.value if field.alias else field.name.value


class _Fields:
    """The fields of selection sets as the overlapping-fields rule gathers them: inline fragments
    flattened, and the fields of each fragment reachable through spreads, counted once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.own: dict[str, tuple[list[FieldNode], set[str]]] = {}
        self.below: dict[str, frozenset[str]] = {}
        self.reached: set[str] = set()

    @staticmethod
    def _collect(selection_sets: Iterable[SelectionSetNode]) -> tuple[list[FieldNode], set[str]]:
        fields, spreads = [], set()
        pending = list(selection_sets)
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    fields.append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.add(selection.name.value)
        return fields, spreads

    def _fragment(self, name: str) -> tuple[list[FieldNode], set[str]]:
        if name not in self.own:
            definition = self.fragments.get(name)
            self.own[name] = self._collect([definition.selection_set]) if definition else ([], set())
        return self.own[name]

    def _reachable(self, name: str) -> frozenset[str]:
        """The fragment and every fragment it spreads, however deep (a cycle ends where it closes)."""
        if name not in self.below:
            self.below[name] = frozenset((name,))
            self.below[name] = frozenset((name,)).union(*(self._reachable(inner) for inner in self._fragment(name)[1]))
        return self.below[name]

    def at_one_place(self, selection_sets: list[SelectionSetNode]) -> list[FieldNode]:
        fields, spreads = self._collect(selection_sets)
        reachable = frozenset().union(*(self._reachable(name) for name in spreads))
        self.reached |= reachable
        for name in reachable:
            fields.extend(self._fragment(name)[0])
        return fields


def _too_many(fields: list[FieldNode]) -> GraphQLError | None:
    by_name: dict[str, list[FieldNode]] = defaultdict(list)
    for field in fields:
        by_name[_response_name(field)].append(field)
    for name, same in by_name.items():
        if len(same) > MAX_SAME_NAME:
            message = f"'{name}' is selected {len(same)} times at one place; at most {MAX_SAME_NAME} are allowed."
            return GraphQLError(message, same[:1])
    return None


def repetition_error(document: DocumentNode) -> GraphQLError | None:
    """Why the document defines too many fragments, or selects too many fields at one place of its
    response, if it does.

    Walks the response as the fields of each place merge, from each operation and then from each
    fragment that no operation spreads, stopping at the first place over MAX_SAME_NAME or once
    MAX_FIELDS fields are counted.
    """
    fragments = _fragments(document)
    if len(fragments) > MAX_FRAGMENTS:
        return GraphQLError(f"The document defines {len(fragments)} fragments; at most {MAX_FRAGMENTS} are allowed.")
    fields = _Fields(fragments)
    counted = 0
    try:
        for start in [*_operations(document), *fragments]:
            if isinstance(start, str):  # a fragment: walked on its own only when no operation spreads it
                if start in fields.reached:
                    continue
                start = fragments[start]
            pending = [[start.selection_set]]
            while pending:
                here = fields.at_one_place(pending.pop())
                counted += len(here)
                if counted > MAX_FIELDS:
                    return GraphQLError(
                        f"The document selects more than {MAX_FIELDS} fields, each fragment counted where it is spread."
                    )
                if (error := _too_many(here)) is not None:
                    return error
                below: dict[str, list[SelectionSetNode]] = defaultdict(list)
                for field in here:
                    if field.selection_set is not None:
                        below[_response_name(field)].append(field.selection_set)
                pending.extend(below.values())
    except RecursionError:
        return GraphQLError("The document spreads its fragments too deeply.")
    return None


class BoundedOverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's OverlappingFieldsCanBeMergedRule, run only on a document whose repetition is
    bounded (its cost is quadratic in the fields that land at one place)."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        error = repetition_error(context.document)
        self.refused = error is not None
        if error is not None:
            self.report_error(error)

    def enter_selection_set(self, *args) -> None:
        if not self.refused:
            super().enter_selection_set(*args)


def validate(schema: GraphQLSchema, document: DocumentNode, rules: tuple) -> list[GraphQLError]:
    """The document's validation errors; only the repetition error for a document over its bound,
    which no rule then walks (their walks, though linear, are the bulk of a long document's cost)."""
    error = repetition_error(document)
    return [error] if error is not None else validate_document(schema, document, rules)


class RequestLimits(SchemaExtension):
    """The depth, alias and repetition limits: our rules in place of strawberry's limiters and of
    graphql-core's unbounded overlapping-fields rule."""

    def on_operation(self):
        context = self.execution_context
        rules = tuple(
            BoundedOverlappingFieldsRule if rule is OverlappingFieldsCanBeMergedRule else rule
            for rule in context.validation_rules
        )
        context.validation_rules = (*rules, DepthAndAliasLimitRule)
        yield


class ValidationCache(SchemaExtension):
    """Validate each document once per set of limits, then answer from memory.

    Validation walks the whole document with every rule: a few milliseconds a request. Its
    result depends on the document (the schema is fixed) and on the rules, which our settings
    make. The key is a digest of the document as graphql-core prints it, so a comment or other
    spacing does not make a new entry; the rule classes themselves are made afresh for every
    request, so strawberry's own ValidationCache, keyed by them, would never hit.
    """

    MAX_ENTRIES = 256
    _results: ClassVar[dict[tuple, list]] = {}

    def on_validate(self):
        context = self.execution_context
        if context.graphql_document is not None:
            key = (
                hashlib.sha256(print_ast(context.graphql_document).encode()).digest(),
                settings.GRAPHQL_INTROSPECTION,
                settings.GRAPHQL_MAX_DEPTH,
                settings.GRAPHQL_MAX_ALIASES,
                settings.GRAPHQL_MAX_TOKENS,
            )
            errors = self._results.get(key)
            if errors is None:
                errors = validate(context.schema._schema, context.graphql_document, context.validation_rules)
                if len(self._results) >= self.MAX_ENTRIES:
                    self._results.clear()
                self._results[key] = errors
            context.pre_execution_errors = errors
        yield
