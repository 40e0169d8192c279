"""Subscriptions run only as streams (the WebSocket): a plain HTTP request for one is refused."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

_SINGLE_RESULT_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


class StreamedSubscriptions(strawberry.Schema):
    """`execute` (one result, HTTP) refuses subscriptions: strawberry would run the stream's
    resolver as a plain field, which fails inside execution (an INTERNAL error)."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation; a subscription is BAD_REQUEST (HTTP 400)."""
        allowed = _SINGLE_RESULT_OPERATIONS.intersection(
            _SINGLE_RESULT_OPERATIONS
            if allowed_operation_types is None
            else allowed_operation_types
        )
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed,
            operation_extensions,
        )
