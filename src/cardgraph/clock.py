"""Time as stored: UTC, millisecond precision (what MongoDB keeps, so values round-trip)."""

from __future__ import annotations

from datetime import UTC, datetime

from cardgraph.errors import BadArgumentError


def utc_now_ms() -> datetime:
    """Now in UTC, truncated to milliseconds."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def utc_instant(at: datetime, argument: str) -> datetime:
    """`at` in UTC (a time without a zone is UTC); BAD_REQUEST naming `argument` when that
    leaves the calendar (year 1 east of UTC, or 9999 west of it)."""
    try:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except OverflowError:
        raise BadArgumentError(argument, "lies outside the years 1 to 9999 in UTC") from None
