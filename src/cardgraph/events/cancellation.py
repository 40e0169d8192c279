"""Cancellation that a library swallowed: when a task's cancellation arrives as redis-py's read
timeout expires, redis-py returns an empty reply (or raises a connection error) instead. A
loop that carries on after either would never stop (`EventHub.stop` waited forever), so it
asks the task whether it was asked to stop."""

from __future__ import annotations

import asyncio


def raise_if_cancel_requested() -> None:
    """Raise CancelledError if someone asked the current task to stop, even when the
    CancelledError they sent was swallowed on the way."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
