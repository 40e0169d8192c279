"""The values an operation's variables make the server coerce one by one (pure).

graphql-core coerces each value of a typed variable in Python (~2 µs each): a 1 MB list of
enums held the event loop a quarter of a second. Counted before execution, stopping at the
limit, along the declared types: a `JSON` or `Upload` value is taken whole and counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    get_operation_ast,
    type_from_ast,
)


def count_variable_values(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limit: int,
) -> int:
    """Values the server coerces one by one in the operation's variables (stops past `limit`).

    Lists, input objects, enums and scalars count one each; `JSON` and `Upload` values are
    taken whole, so they count once however large.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None or not variables:
        return 0
    total = 0
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        declared = type_from_ast(schema, definition.type)
        if name in variables and declared is not None:
            total += _count_values(variables[name], declared, limit - total)  # type: ignore[arg-type]
            if total > limit:
                break
    return total


def _count_values(value: Any, declared: GraphQLInputType, budget: int) -> int:
    """Values in `value` as `declared` coerces them, counting no further than `budget`."""
    if isinstance(declared, GraphQLNonNull):
        declared = declared.of_type
    if isinstance(declared, GraphQLList):
        if not isinstance(value, list):
            return _count_values(value, declared.of_type, budget)
        count = 1
        for item in value:
            count += _count_values(item, declared.of_type, budget - count)
            if count > budget:
                break
        return count
    if isinstance(declared, GraphQLInputObjectType) and isinstance(value, dict):
        count = 1
        for key, item in value.items():
            known = declared.fields.get(key)
            count += _count_values(item, known.type, budget - count) if known else 1
            if count > budget:
                break
        return count
    return 1  # a scalar, an enum, an opaque JSON or Upload value, or a value of the wrong kind
