"""The cost of an operation, estimated on its syntax tree before it runs (pure).

`operation_cost` runs after validation, on the operation about to execute, with the
request's variables, and estimates the fields it will resolve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    get_operation_ast,
)

from cardgraph.graphql.document_size import MAX_NESTING, DocumentShapeError

# A plain list's length is unknown before it runs. Plain lists are parts of one stored
# document (a version's status history, its content, whose typed values an operation may
# send only so many of anyway), so one plain list on a path multiplies by this guess of a
# typical length and the lists nested in it do not; pages of a connection multiply wherever
# they are, and so do the lists of introspection types, which nest without bound.
LIST_SIZE_ESTIMATE = 3
# A version's content is one stored document of up to 100,000 characters: reading it costs
# more than a field, though little CPU (contentJson is sent as stored; typed content draws on
# its own per-operation budget of values), and the response cap bounds the bytes.
DOCUMENT_FIELDS = {
    ("CardVersion", "contentJson"): 10,
    ("CardVersion", "content"): 10,
    # A diff reads two versions' content and walks both (about 1 ms for 30 KB).
    ("CardVersion", "diff"): 20,
    ("Query", "versionDiff"): 20,
}
# Introspection is answered from memory at about half the cost of a data field, and the mean
# list lengths overestimate what it resolves about fourfold (most `ofType`s are null).
INTROSPECTION_FIELD_COST = 0.125


@dataclass(frozen=True)
class PageSizes:
    """How connection fields size their pages."""

    default: int
    maximum: int


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    pages: PageSizes,
) -> int:
    """Estimated fields resolved by the operation: 1 a field, lists multiplying their subtree."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    costing = _Costing(schema, document, operation, dict(variables or {}), pages)
    start = _Path(None, False, False, 0)
    return math.ceil(costing.selection_set(operation.selection_set, root, start, 0))


class _Costing:
    """One operation's cost walk; each fragment is costed once per parent type and page size."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        pages: PageSizes,
    ) -> None:
        self.schema = schema
        self.pages = pages
        self.variables = variables
        self.defaults = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, str, _Path], float] = {}
        self.lengths = _introspection_lengths(schema)
        self.visiting: set[str] = set()

    def selection_set(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, path: _Path, depth: int
    ) -> float:
        if depth > MAX_NESTING:
            raise DocumentShapeError(f"selections or fragments nest more than {MAX_NESTING} deep")
        total = 0.0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, path, depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, on or parent, path, depth)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, parent, path, depth)
        return total

    def fragment(self, name: str, parent: GraphQLNamedType, path: _Path, depth: int) -> float:
        key = (name, parent.name, path)
        known = self.memo.get(key)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return 0
        on = self.schema.get_type(fragment.type_condition.name.value) or parent
        self.visiting.add(name)
        try:
            cost = self.selection_set(fragment.selection_set, on, path, depth + 1)
        finally:
            self.visiting.discard(name)
        self.memo[key] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType, path: _Path, depth: int) -> float:
        name = node.name.value
        introspection = path.introspection or name in ("__schema", "__type")
        weight = INTROSPECTION_FIELD_COST if introspection else 1.0
        if name == "__schema":
            definition = SchemaMetaFieldDef
        elif name == "__type":
            definition = TypeMetaFieldDef
        elif isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) and name in parent.fields:
            definition = parent.fields[name]
        else:  # __typename, or a field validation would have refused
            return weight
        weight += DOCUMENT_FIELDS.get((parent.name, name), 0)
        wrapping = path.wrapping + 1 if introspection and name == "ofType" else 0
        if node.selection_set is None or wrapping > self.lengths.wrapping:
            return weight  # a leaf, or an `ofType` deeper than any type of this schema: null
        returned = definition.type
        if isinstance(returned, GraphQLNonNull):
            returned = returned.of_type
        named = get_named_type(returned)
        if not isinstance(returned, GraphQLList):
            page = self.page_size(node) if _is_connection(named, definition.args) else None
            inner = _Path(page, path.in_plain_list, introspection, wrapping)
            return weight + self.selection_set(node.selection_set, named, inner, depth + 1)
        if path.page_size is not None and name == "edges":  # one page of a connection
            length, inner = path.page_size, _Path(None, False, False, 0)
        elif introspection:  # as long as this schema makes it, on average
            length = self.lengths.lists.get((parent.name, name), 1)
            inner = _Path(None, False, True, 0)
        else:
            length = 1 if path.in_plain_list else LIST_SIZE_ESTIMATE
            inner = _Path(None, True, False, 0)
        return weight + length * self.selection_set(node.selection_set, named, inner, depth + 1)

    def page_size(self, node: FieldNode) -> int:
        """The page a connection field asks for (`first`, resolved like its resolver does)."""
        argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
        value: Any = None
        if argument is not None:
            if isinstance(argument.value, VariableNode):
                name = argument.value.name.value
                default = self.defaults.get(name)
                if name in self.variables:
                    value = self.variables[name]
                elif isinstance(default, IntValueNode):
                    value = int(default.value)
            elif isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
        if value is None:
            return self.pages.default
        if not isinstance(value, int) or isinstance(value, bool):
            return self.pages.maximum  # refused by coercion anyway; never under-costed
        # Out of range is the resolver's clearer BAD_REQUEST, not a cost refusal.
        return max(0, min(value, self.pages.maximum))


@dataclass(frozen=True, slots=True)
class _Path:
    """What the fields above a selection set decide for it."""

    page_size: int | None  # set inside a connection: the length of its `edges`
    in_plain_list: bool  # below a plain list, further plain lists do not multiply
    introspection: bool  # below `__schema` or `__type`
    wrapping: int  # `ofType` fields nested right above


@dataclass(frozen=True, slots=True)
class _IntrospectionLengths:
    """Mean length of each introspection list of a schema, and its deepest type wrapping."""

    lists: dict[tuple[str, str], int]
    wrapping: int


@cache
def _introspection_lengths(schema: GraphQLSchema) -> _IntrospectionLengths:
    """The introspection list lengths of `schema` (means, at least 1) and its deepest wrapping."""
    types = list(schema.type_map.values())
    fields = [
        f
        for t in types
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        for f in t.fields.values()
    ]

    def mean(lengths: list[int]) -> int:
        return max(1, math.ceil(sum(lengths) / len(lengths))) if lengths else 1

    def fields_of(t: GraphQLNamedType) -> int:
        return len(t.fields) if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) else 0

    def members(t: GraphQLNamedType) -> int:
        if isinstance(t, GraphQLUnionType):
            return len(t.types)
        return (
            len(schema.get_implementations(t).objects) if isinstance(t, GraphQLInterfaceType) else 0
        )

    lists = {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): mean([fields_of(t) for t in types]),
        ("__Type", "inputFields"): mean(
            [len(t.fields) if isinstance(t, GraphQLInputObjectType) else 0 for t in types]
        ),
        ("__Type", "enumValues"): mean(
            [len(t.values) if isinstance(t, GraphQLEnumType) else 0 for t in types]
        ),
        ("__Type", "interfaces"): mean(
            [len(t.interfaces) if isinstance(t, GraphQLObjectType) else 0 for t in types]
        ),
        ("__Type", "possibleTypes"): mean([members(t) for t in types]),
        ("__Field", "args"): mean([len(f.args) for f in fields]),
        ("__Directive", "args"): mean([len(d.args) for d in schema.directives]),
    }
    typed = (
        [f.type for f in fields]
        + [a.type for f in fields for a in f.args.values()]
        + [
            f.type
            for t in types
            if isinstance(t, GraphQLInputObjectType)
            for f in t.fields.values()
        ]
    )
    return _IntrospectionLengths(lists, max((_wrappers(t) for t in typed), default=0))


def _wrappers(declared: Any) -> int:
    count = 0
    while isinstance(declared, GraphQLList | GraphQLNonNull):
        declared, count = declared.of_type, count + 1
    return count


def _is_connection(named: GraphQLNamedType, args: Mapping[str, Any]) -> bool:
    return isinstance(named, GraphQLObjectType) and "edges" in named.fields and "first" in args
