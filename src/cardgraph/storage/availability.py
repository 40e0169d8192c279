"""Which database errors mean "unavailable": the server is unreachable, frozen or too slow."""

from __future__ import annotations

from pymongo.errors import (
    ClientBulkWriteException,
    ConnectionFailure,
    ExecutionTimeout,
    PyMongoError,
    WTimeoutError,
)

# What a database that cannot answer in time raises, for `except` clauses: a connection that
# failed or timed out (AutoReconnect, NetworkTimeout, server selection, a full pool) and an
# operation past its deadline (PyMongo's timeoutMS, or the server's maxTimeMS it sends).
UNAVAILABLE_ERRORS = (ConnectionFailure, ExecutionTimeout, WTimeoutError)

# The server's code for "operation exceeded time limit" (MaxTimeMSExpired).
MAX_TIME_EXPIRED = 50


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database did not answer in time (never the caller's fault).

    Bulk writes wrap what stopped them: a write in flight when the link dies raises a
    `ClientBulkWriteException` holding the `AutoReconnect`, or one whose write timed out.
    """
    if isinstance(error, UNAVAILABLE_ERRORS):
        return True
    if isinstance(error, ClientBulkWriteException):
        wrapped = error.error
        if isinstance(wrapped, BaseException) and is_unavailable(wrapped):
            return True
        refused: list[dict[str, object]] = list(error.write_errors or [])  # type: ignore[arg-type]
        concern: list[dict[str, object]] = list(error.write_concern_errors or [])  # type: ignore[arg-type]
        return any(e.get("code") == MAX_TIME_EXPIRED for e in refused) or any(
            _is_wtimeout(e) for e in concern
        )
    return isinstance(error, PyMongoError) and error.timeout


def _is_wtimeout(error: dict[str, object]) -> bool:
    info = error.get("errInfo")
    return error.get("code") == MAX_TIME_EXPIRED or (
        isinstance(info, dict) and bool(info.get("wtimeout"))
    )
