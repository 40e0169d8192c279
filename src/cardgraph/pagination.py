"""Keyset pagination shared by every list: opaque cursors and pages."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cardgraph.errors import BadRequestError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: items with their cursors, whether more follow, and how to count
    the whole list (counting is a query of its own, run only when a client asks for it)."""

    items: list[tuple[T, str]]
    has_next_page: bool
    count: Callable[[], Awaitable[int]]


def encode_cursor(key: list[Any]) -> str:
    """Turn a sort key into an opaque cursor."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """Turn a cursor back into its sort key, or raise BAD_REQUEST."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequestError("`after` is not a cursor returned by this API") from None
    if not isinstance(key, list):
        raise BadRequestError("`after` is not a cursor returned by this API")
    return key


def page_size(first: int | None, default: int, maximum: int) -> int:
    """Resolve a requested page size, rejecting values outside 0..maximum."""
    if first is None:
        return default
    if first < 0 or first > maximum:
        raise BadRequestError(f"`first` must be between 0 and {maximum}")
    return first
