"""JSON text of requests (HTTP bodies, query parameters, multipart fields, WebSocket messages)."""

from __future__ import annotations

import json
from typing import Any

import orjson


class RequestJsonError(json.JSONDecodeError):
    """Request text that is not a JSON object this service accepts; `msg` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)

    def __str__(self) -> str:
        return self.msg


def parse_request_json(data: str | bytes) -> dict[str, Any]:
    """Parse one JSON object, or raise `RequestJsonError` (never anything else)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):
            raise RequestJsonError(_TOO_DEEP) from None
        # orjson refuses what the standard parser accepts (integers past 64 bits, NaN):
        # the standard parser has the last word, so the two never disagree on validity.
        try:
            value = json.loads(data)
        except ValueError:  # JSON syntax and undecodable bytes alike
            raise RequestJsonError("the request body is not valid UTF-8 JSON") from None
        except RecursionError:  # it recurses per level; orjson stops at 1,024 levels
            raise RequestJsonError(_TOO_DEEP) from None
    if not isinstance(value, dict):
        raise RequestJsonError("the request body must be a JSON object")
    return value


_TOO_DEEP = "the request's JSON is nested too deeply (at most 1,024 levels)"
