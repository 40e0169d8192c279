"""Counting GraphQL operations by name, type and outcome, for /metrics.

The request middleware (cardgraph.monitoring.http) puts the application's metrics in the
scope. Over HTTP this extension only names the operation and its outcome there, and the
middleware records it with the whole request's latency once the response is sent (refusals
before execution, which never reach this extension, are recorded from their status). A
WebSocket operation is recorded here when it ends; a running subscription is counted as
active meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from cardgraph.monitoring.api import ApiMetrics, OperationOutcome
from cardgraph.monitoring.http import METRICS_KEY, OUTCOME_KEY
from cardgraph.monitoring.labels import OK, UNKNOWN, outcome_of_code


class OperationMetrics(SchemaExtension):
    """Names each operation and its outcome (ok, or the first error's code)."""

    def __init__(self) -> None:
        self._code: str | None = None
        self._subscribed = False

    def on_operation(self) -> Iterator[None]:
        """Around the whole operation (a subscription's whole life)."""
        scope = _scope(self.execution_context.context)
        metrics = scope.get(METRICS_KEY) if scope is not None else None
        started = time.perf_counter()
        try:
            yield
        except GraphQLError as error:  # a parse error, already coded on its way out
            self._note(error)
            raise
        finally:
            if isinstance(metrics, ApiMetrics):
                assert scope is not None
                self._record(metrics, scope, time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        """A subscription counts as active from its start to its end."""
        scope = _scope(self.execution_context.context)
        metrics = scope.get(METRICS_KEY) if scope is not None else None
        if isinstance(metrics, ApiMetrics) and self._type() == "subscription":
            metrics.subscriptions.inc()
            self._subscribed = True
        yield

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Each streamed result (WebSocket operations): its errors, coded by then, count."""
        yield
        for error in getattr(result, "errors", None) or ():
            self._note(error)

    def _note(self, error: GraphQLError) -> None:
        if self._code is None:
            self._code = outcome_of_code((error.extensions or {}).get("code"))

    def _type(self) -> str:
        if self.execution_context.graphql_document is None:
            return UNKNOWN
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:  # an operationName the document does not define
            return UNKNOWN

    def _record(self, metrics: ApiMetrics, scope: dict[str, object], duration_s: float) -> None:
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            self._note(error)
        operation_type = self._type()
        name = self.execution_context.operation_name if operation_type != UNKNOWN else None
        outcome = OperationOutcome(
            operation=metrics.operation_names.label(name) if operation_type != UNKNOWN else UNKNOWN,
            type=operation_type,
            outcome=self._code or OK,
        )
        if self._subscribed:
            metrics.subscriptions.dec()
        if scope.get("type") == "websocket":
            metrics.observe_operation(outcome, "ws", duration_s)
        else:
            scope[OUTCOME_KEY] = outcome


def _scope(context: object) -> dict[str, object] | None:
    """The ASGI scope of the operation's request or socket."""
    scope = getattr(getattr(context, "request", None), "scope", None)
    return scope if isinstance(scope, dict) else None
