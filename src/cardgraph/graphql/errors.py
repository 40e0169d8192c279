"""Turn every error into a coded GraphQL error; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from cardgraph.errors import (
    BadArgumentError,
    CardgraphError,
    InternalError,
    PolicyViolationError,
    UnavailableError,
    ValidationFailedError,
)
from cardgraph.storage.availability import UNAVAILABLE_ERRORS, is_unavailable

logger = logging.getLogger("cardgraph.graphql")

__all__ = ["UNAVAILABLE_ERRORS", "UNAVAILABLE_MESSAGE", "CodedErrors", "coded_error"]

UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly"


def coded_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """Return `error` with `extensions.code` set (and its message masked if unexpected)."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if original is not None and is_unavailable(original):
        original = UnavailableError(UNAVAILABLE_MESSAGE)
    if isinstance(original, CardgraphError):
        extensions: dict[str, object] = {"code": original.code}
        if isinstance(original, ValidationFailedError | PolicyViolationError | BadArgumentError):
            extensions["fields"] = [{"path": p.path, "reason": p.reason} for p in original.fields]
        return _with(error, original.message, extensions)
    if original is None or isinstance(original, GraphQLError) or error.path is None:
        # Syntax, validation, limit and variable-coercion errors: the client's document is wrong.
        return _with(error, error.message, {"code": "BAD_REQUEST"})
    logger.error("unexpected error (request %s) at %s", request_id, error.path, exc_info=original)
    internal = InternalError(request_id)
    return _with(error, internal.message, {"code": internal.code, "requestId": request_id})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class CodedErrors(SchemaExtension):
    """Schema extension that codes every error of an operation's result."""

    def on_operation(self) -> Iterator[None]:
        """After the operation, rewrite its errors."""
        request_id = getattr(self.execution_context.context, "request_id", "-")
        try:
            yield
        except GraphQLError as error:
            # Parse errors raised by the parser cache escape the operation; code them on the way.
            raise coded_error(error, request_id) from None
        _code_result_errors(self.execution_context.result, request_id)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Code the errors of each streamed result (WebSocket operations, subscriptions)."""
        _code_result_errors(result, getattr(self.execution_context.context, "request_id", "-"))
        yield


def _code_result_errors(result: object, request_id: str) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [coded_error(e, request_id) for e in errors]  # type: ignore[attr-defined]
