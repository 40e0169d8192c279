"""Keyset pagination shared by every list: signed, typed cursors and pages assembled one way.

A cursor is `base64url(HMAC-SHA256(secret, payload) || payload)`, the payload being the JSON
array `[kind, *sort key]`. Nothing of a cursor is parsed before its signature checks out, and
even a signed cursor is read back only as the kind the list expects, each part of its key as
the declared type: a sort key reaching a query is always plain str, int or aware datetime.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from cardgraph.errors import BadArgumentError

T = TypeVar("T")
K = TypeVar("K", bound=tuple[Any, ...])

KeyPart = type[str] | type[int] | type[datetime]

SECRET_MIN_BYTES = 32
TAG_BYTES = 32
# Longer than any cursor this API hands out (a 2 KiB ARN fits); longer input is refused unread.
MAX_CURSOR_CHARS = 4096
# MongoDB integers are 64-bit: anything wider would fail inside the driver, not here.
INT_BOUND = 2**63
MAX_DATETIME_CHARS = 40
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class CursorKind(Generic[K]):
    """Which list a cursor belongs to (signed into it) and the type of each part of its key."""

    name: str
    parts: tuple[KeyPart, ...]


CARDS_BY_NAME: CursorKind[tuple[str, str]] = CursorKind("cards:name", (str, str))
CARDS_BY_CREATED: CursorKind[tuple[datetime, str]] = CursorKind("cards:created", (datetime, str))
CARDS_BY_UPDATED: CursorKind[tuple[datetime, str]] = CursorKind("cards:updated", (datetime, str))
VERSIONS: CursorKind[tuple[int]] = CursorKind("versions", (int,))
JOBS: CursorKind[tuple[datetime, str]] = CursorKind("jobs", (datetime, str))
PACKAGES: CursorKind[tuple[str]] = CursorKind("packages", (str,))
AUDIT_EVENTS: CursorKind[tuple[str]] = CursorKind("audit", (str,))


@dataclass(frozen=True, slots=True)
class PageRequest(Generic[K]):
    """What a caller asked of a list: how many items, after which (already checked) key."""

    kind: CursorKind[K]
    first: int
    after: K | None = None

    @property
    def limit(self) -> int:
        """Rows to fetch: one beyond the page tells whether another page follows."""
        return self.first + 1


@dataclass(frozen=True, slots=True)
class Page(Generic[T, K]):
    """One page of a list: items with their sort keys, whether more follow, and how to count
    the whole list (counting is a query of its own, run only when a client asks for it)."""

    kind: CursorKind[K]
    items: list[tuple[T, K]]
    has_next_page: bool
    count: Callable[[], Awaitable[int]]


def page_of(
    request: PageRequest[K],
    found: Sequence[T],
    key_of: Callable[[T], K],
    count: Callable[[], Awaitable[int]],
) -> Page[T, K]:
    """The page of `request` from up to `request.limit` rows read in list order."""
    items = [(item, key_of(item)) for item in found[: request.first]]
    return Page(request.kind, items, len(found) > request.first, count)


def page_size(first: int | None, default: int, maximum: int) -> int:
    """Resolve a requested page size, rejecting values outside 0..maximum."""
    if first is None:
        return default
    if first < 0 or first > maximum:
        raise BadArgumentError("first", f"must be between 0 and {maximum}")
    return first


class CursorCodec:
    """Signs sort keys into cursors and reads back only cursors it signed, of the right kind."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < SECRET_MIN_BYTES:
            raise ValueError(f"a cursor secret needs at least {SECRET_MIN_BYTES} bytes")
        self._secret = secret

    def encode(self, kind: CursorKind[K], key: K) -> str:
        """The cursor of `key` in the list `kind`."""
        if len(key) != len(kind.parts):
            raise ValueError(f"a {kind.name} key has {len(kind.parts)} parts")
        values = [_dumped(part, value) for part, value in zip(kind.parts, key, strict=True)]
        payload = json.dumps([kind.name, *values], separators=(",", ":")).encode()
        raw = self._tag(payload) + payload
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, kind: CursorKind[K], cursor: str) -> K:
        """The key of a cursor this codec signed for `kind`, or BAD_REQUEST on `after`."""
        payload = self._verified(cursor)
        try:
            decoded = json.loads(payload)
        except ValueError:  # signed but unreadable: a secret shared with something else
            raise _refused() from None
        if not isinstance(decoded, list) or not decoded or not isinstance(decoded[0], str):
            raise _refused()
        if decoded[0] != kind.name:
            raise BadArgumentError("after", "is a cursor of another list or sort order")
        values = decoded[1:]
        if len(values) != len(kind.parts):
            raise _refused()
        return cast("K", tuple(_loaded(p, v) for p, v in zip(kind.parts, values, strict=True)))

    def _verified(self, cursor: str) -> bytes:
        if len(cursor) > MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(cursor):
            raise _refused()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _refused() from None
        tag, payload = raw[:TAG_BYTES], raw[TAG_BYTES:]
        if not payload or not hmac.compare_digest(tag, self._tag(payload)):
            raise _refused()
        return payload

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()


def _refused() -> BadArgumentError:
    return BadArgumentError("after", "is not a cursor this API returned for this list")


def _dumped(part: KeyPart, value: object) -> object:
    # The encoder holds itself to the decoder's rules: a key it signs always reads back.
    if part is datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        return value.isoformat()
    if part is int:
        if type(value) is not int or not -INT_BOUND < value < INT_BOUND:
            raise ValueError(f"expected a 64-bit int, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a str, got {value!r}")
    return value


def _loaded(part: KeyPart, value: object) -> str | int | datetime:
    if part is datetime:
        if not isinstance(value, str) or len(value) > MAX_DATETIME_CHARS:
            raise _refused()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _refused() from None
        if moment.tzinfo is None:
            raise _refused()
        return moment
    if part is int:
        # bool is an int to Python, not to a cursor.
        if type(value) is not int or not -INT_BOUND < value < INT_BOUND:
            raise _refused()
        return value
    if type(value) is not str:
        raise _refused()
    return value
