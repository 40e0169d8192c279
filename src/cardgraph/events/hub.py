"""One Redis subscription per API process, fanned out to every GraphQL subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cardgraph.events.channels import PREFIX

logger = logging.getLogger("cardgraph.events")

QUEUE_LIMIT = 1000
RECONNECT_DELAY_S = 0.5


class EventHub:
    """Listens on `cardgraph:*` once and hands each message to the queues of its channel."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
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
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self._dispatch(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                self._ready.clear()
                logger.warning("event hub lost Redis; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _dispatch(self, channel: bytes | str, data: bytes) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        for queue in tuple(self._queues.get(name, ())):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                # A subscriber this far behind gets the latest state from MongoDB instead.
                logger.warning("dropping an event for a slow subscriber on %s", name)
