"""Redis channel names of live events."""

from __future__ import annotations

PREFIX = "cardgraph:"
CARDS = f"{PREFIX}cards"
# A Redis stream (a key, not a channel) holding the same card events, so a reader that lost its
# link resumes from the last entry it read instead of missing what was published meanwhile.
CARD_STREAM = f"{PREFIX}card-events"
# Carries the id of a revoked API key, so every process drops it from its cache.
API_KEYS = f"{PREFIX}api-keys"


def job_channel(job_id: str) -> str:
    """The channel carrying one job's state changes."""
    return f"{PREFIX}job:{job_id}"
