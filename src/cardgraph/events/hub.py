"""One Redis subscription per API process, fanned out to every GraphQL subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cardgraph.events.channels import API_KEYS, CARDS, PREFIX
from cardgraph.events.freshness import Freshness, Topic
from cardgraph.events.models import CardEvent

logger = logging.getLogger("cardgraph.events")

QUEUE_LIMIT = 1000
RECONNECT_DELAY_S = 0.5


class EventHub:
    """Listens on `cardgraph:*` once and hands each message to the queues of its channel.

    It also keeps this process's caches fresh: they serve entries only while it listens.
    """

    def __init__(self, redis: aioredis.Redis, freshness: Freshness) -> None:
        self._redis = redis
        self._freshness = freshness
        self._queues: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are listening (for tests and metrics)."""
        return sum(len(queues) for queues in self._queues.values())

    async def start(self) -> None:
        """Start listening (in the app's lifespan)."""
        self._task = asyncio.create_task(self._listen(), name="cardgraph-event-hub")

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_ready(self) -> None:
        """Wait until the Redis subscription is live (events are not missed after this)."""
        await self._ready.wait()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        """A queue receiving every message of `channel` until the block exits."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            queues = self._queues.get(channel)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._queues[channel]

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{PREFIX}*")
                    self._freshness.listening()
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self._dispatch(message["channel"], message["data"])
            except asyncio.CancelledError:
                self._freshness.deaf()
                raise
            except (RedisError, OSError):
                self._freshness.deaf()
                self._ready.clear()
                logger.warning("event hub lost Redis; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY_S)
            except Exception:
                # Caches must never outlive the feed that keeps them fresh.
                self._freshness.deaf()
                self._ready.clear()
                logger.exception("event hub failed; restarting it")
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _invalidate(self, channel: str, data: bytes) -> None:
        try:
            if channel == CARDS:
                event = CardEvent.from_json(data)
                self._freshness.heard(Topic.CARD, event.card_name, event.origin)
            elif channel == API_KEYS:
                self._freshness.heard(Topic.API_KEY, data.decode(), None)
        except (ValueError, KeyError, TypeError):
            # A change we cannot attribute might concern anything cached.
            logger.warning("unreadable change event on %s; forgetting every cache", channel)
            self._freshness.listening()

    def _dispatch(self, channel: bytes | str, data: bytes) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        self._invalidate(name, data)
        for queue in tuple(self._queues.get(name, ())):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                # A subscriber this far behind gets the latest state from MongoDB instead.
                logger.warning("dropping an event for a slow subscriber on %s", name)
