"""Process-local caches kept fresh by change events: an entry is served only while this
process hears every change, and is dropped the moment one names it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Generic, TypeVar, overload

from cardgraph.caching.lru import LruCache
from cardgraph.caching.shared_reads import SharedReads

V = TypeVar("V")


class Topic(StrEnum):
    """What a change event names; each cache holds entries of one topic."""

    CARD = "card"
    API_KEY = "api_key"
    # Pages of card lists: any card's change may move it into, out of or within any page.
    CARD_LIST = "card_list"


# A change to an entry of the key topic empties every cache of the dependent topics.
DEPENDENTS = {Topic.CARD: (Topic.CARD_LIST,)}


class Freshness:
    """Whether this process hears every change; caches consult it on every read.

    The event hub calls `listening`, `deaf` and `heard`. Without a hub (workers, or no
    Redis) nothing is ever served from a cache, so every read goes to the database.
    """

    def __init__(self, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        # Stamped on the events this process publishes: it updated its own caches when it
        # wrote (`FreshCache.put_written`), so its own echoes need not evict anything.
        self.origin = uuid.uuid4().hex
        self.live = False
        # Grows with every change heard and every gap in hearing: a read that began under one
        # epoch and ends under another may have missed a change, so it is not cached.
        self.epoch = 0
        self._caches: list[FreshCache[object]] = []

    def register(self, cache: FreshCache[V]) -> None:
        """Let `cache` be told about changes of its topic."""
        self._caches.append(cache)  # type: ignore[arg-type]

    def listening(self) -> None:
        """The change feed is live (again): start caching from an empty slate."""
        self._forget_all()
        self.live = True

    def deaf(self) -> None:
        """The change feed is lost: serve nothing cached until it is back."""
        self.live = False
        self._forget_all()

    def heard(self, topic: Topic, key: str, origin: str | None) -> None:
        """A change event arrived: evict, unless this process made the change itself."""
        if origin != self.origin:
            self.changed(topic, key)

    def changed(self, topic: Topic, key: str) -> None:
        """Something named `key` changed somewhere: drop it from every cache of `topic`."""
        self.epoch += 1
        dependents = DEPENDENTS.get(topic, ())
        for cache in self._caches:
            if cache.topic is topic:
                cache.discard(key)
            elif cache.topic in dependents:
                cache.clear()

    def settled(self, topic: Topic) -> None:
        """This process has just written an entry of `topic` (and cached the result)."""
        self.epoch += 1
        dependents = DEPENDENTS.get(topic, ())
        for cache in self._caches:
            if cache.topic in dependents:
                cache.clear()

    def _forget_all(self) -> None:
        self.epoch += 1
        for cache in self._caches:
            cache.clear()


class FreshCache(Generic[V]):
    """A bounded map whose entries live until a change names them (or `max_age_s` passes,
    which bounds staleness should a change event itself be lost)."""

    def __init__(self, freshness: Freshness, topic: Topic, capacity: int) -> None:
        self.topic = topic
        self._freshness = freshness
        self._entries: LruCache[str, tuple[float, V]] = LruCache(capacity)
        self._reads: SharedReads[tuple[str, int], V | None] = SharedReads()
        freshness.register(self)

    def get(self, key: str) -> V | None:
        """The cached value, if it may still be served."""
        freshness = self._freshness
        if not freshness.live:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        if freshness.clock() - stored_at > freshness.max_age_s:
            self._entries.pop(key)
            return None
        return value

    @overload
    async def load(self, key: str, read: Callable[[], Awaitable[V]]) -> V: ...

    @overload
    async def load(self, key: str, read: Callable[[], Awaitable[V | None]]) -> V | None: ...

    async def load(self, key: str, read: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached value, else what `read` finds in the database (cached unless None).

        Readers that miss together share one read, as long as no change was heard since it
        began (its ticket is theirs): when a busy entry expires, one read goes out, not one per
        request.
        """
        value = self.get(key)
        if value is not None:
            return value
        ticket = self.ticket()
        value = await self._reads.read((key, ticket), read)
        if value is not None:
            self.put(key, value, ticket)
        return value

    def ticket(self) -> int:
        """Take before reading the database; pass to `put` with what was read."""
        return self._freshness.epoch

    def put(self, key: str, value: V, ticket: int) -> None:
        """Cache a value read from the database, unless a change may have raced the read."""
        freshness = self._freshness
        if freshness.live and freshness.epoch == ticket:
            self._entries.put(key, (freshness.clock(), value))

    def put_written(self, key: str, value: V | None, ticket: int) -> None:
        """Record what a write of this process left in the database (None: nothing to keep).

        Take the ticket before the write. Reads still in flight may carry older data, so
        none of them may store it after this.
        """
        if value is None:
            self._entries.pop(key)
        else:
            self.put(key, value, ticket)
            if self._freshness.epoch != ticket:
                self._entries.pop(key)
        self._freshness.settled(self.topic)

    def discard(self, key: str) -> None:
        """Forget one entry."""
        self._entries.pop(key)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
