"""The response cap, and the HTTP status of refused operations.

A result whose encoded body is larger than the cap is replaced whole by a RESPONSE_TOO_LARGE
error: no partial data. HTTP bodies are checked where the view builds the response; results
sent over a WebSocket (`next` messages) where the view encodes each message.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

# Refusals a client can act on get a status of their own (GraphQL errors are otherwise 200).
REFUSAL_STATUS = {"COST_LIMIT": 400, "RESPONSE_TOO_LARGE": 400, "RATE_LIMITED": 429}


def too_large_error(size: int, max_bytes: int) -> dict[str, Any]:
    """The error that stands in for a result of `size` bytes."""
    return {
        "message": (
            f"the result is {size:,} bytes; at most {max_bytes:,} may be sent "
            "(ask for smaller pages or fewer fields)"
        ),
        "extensions": {"code": "RESPONSE_TOO_LARGE", "maxBytes": max_bytes},
    }


def bounded_http_response(response: Response, data: object, max_bytes: int) -> Response:
    """`response`, or a RESPONSE_TOO_LARGE error if its body is over the cap; refusals get
    their HTTP status (400, or 429 with Retry-After)."""
    size = len(response.body)
    if size > max_bytes:
        return JSONResponse({"data": None, "errors": [too_large_error(size, max_bytes)]}, 400)
    refused = _refusal(data)
    if refused is not None:
        code, extensions = refused
        response.status_code = REFUSAL_STATUS[code]
        retry_after = extensions.get("retryAfter")
        if code == "RATE_LIMITED" and isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
    return response


def bounded_socket_message(encoded: str | bytes, message: object, max_bytes: int) -> str | bytes:
    """An encoded WebSocket message; a `next` result over the cap becomes an error result."""
    if len(encoded) <= max_bytes or not isinstance(message, dict):
        return encoded
    if message.get("type") != "next":
        return encoded
    payload = {"data": None, "errors": [too_large_error(len(encoded), max_bytes)]}
    return orjson.dumps({"id": message.get("id"), "type": "next", "payload": payload})


def _refusal(data: object) -> tuple[str, dict[str, Any]] | None:
    """The code and extensions of a refused operation's result (no data, a refusal error)."""
    if not isinstance(data, dict) or data.get("data") is not None:
        return None
    errors = data.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    extensions = errors[0].get("extensions")
    if not isinstance(extensions, dict) or extensions.get("code") not in REFUSAL_STATUS:
        return None
    return str(extensions["code"]), extensions
