"""Time as stored: UTC, millisecond precision (what MongoDB keeps, so values round-trip)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now_ms() -> datetime:
    """Now in UTC, truncated to milliseconds."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
