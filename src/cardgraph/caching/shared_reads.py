"""Readers that miss a cache at the same moment share one database read instead of each
sending their own (a cache entry expiring under load would otherwise send one per request)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    """At most one read per key under way; whoever asks for the key meanwhile gets its result.

    The key must name everything the result depends on: a read that began before a change
    must not answer a reader that asked after it.
    """

    def __init__(self) -> None:
        self._reads: dict[K, asyncio.Future[V]] = {}

    async def read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The result of `read()`, or of the same key's read already under way."""
        flight = self._reads.get(key)
        if flight is None:
            flight = asyncio.ensure_future(read())
            self._reads[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        # A reader that leaves does not cancel the read the others wait for.
        return await asyncio.shield(flight)

    def _landed(self, key: K, done: asyncio.Future[V]) -> None:
        if self._reads.get(key) is done:
            del self._reads[key]
        retrieve_outcome(done)


def retrieve_outcome(future: asyncio.Future[Any]) -> None:
    """Mark a finished future's error as seen: the callers that would have were cancelled."""
    if not future.cancelled():
        future.exception()
