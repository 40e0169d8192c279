"""One Redis subscription per API process, fanned out to every GraphQL subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cardgraph.caching.freshness import Freshness, Topic
from cardgraph.clock import utc_now_ms
from cardgraph.events.cancellation import raise_if_cancel_requested
from cardgraph.events.card_stream import CardStreamReader
from cardgraph.events.channels import API_KEYS, CARDS, PREFIX
from cardgraph.events.liveness import confirmed_psubscribe, probed_messages
from cardgraph.events.models import CardEvent, FeedGap

logger = logging.getLogger("cardgraph.events")

QUEUE_LIMIT = 1000
RECONNECT_DELAY_S = 0.5
SILENCE_S = 2.0

# What a subscriber's queue carries: a message of its channel, or notice that some were lost.
Item = bytes | FeedGap


class EventHub:
    """Listens on `cardgraph:*` once and hands each message to the queues of its channel.

    Card events reach subscribers from the card event stream instead (`CardStreamReader`),
    which resumes after an outage; the channel's copy only keeps this process's caches fresh:
    they serve entries only while it listens. Other channels' subscribers get a `FeedGap` when
    the link was lost (they re-read the stored state).
    """

    def __init__(
        self, redis: aioredis.Redis, freshness: Freshness, silence_s: float = SILENCE_S
    ) -> None:
        self._redis = redis
        self._freshness = freshness
        # A link quiet this long is pinged, and given up when the ping goes unanswered as long.
        self._silence_s = silence_s
        self._queues: dict[str, set[asyncio.Queue[Item]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._stream = CardStreamReader(redis, self._deliver_card_event, silence_s / 2)
        self._stream_task: asyncio.Task[None] | None = None
        # Whether the channel link was lost since it was last live.
        self._lost = False
        self._ready = asyncio.Event()
        self._revocation_listeners: list[Callable[[str], None]] = []

    def on_revocation(self, listener: Callable[[str], None]) -> None:
        """Call `listener(key_id)` for every API key revocation heard, from any process."""
        self._revocation_listeners.append(listener)

    @property
    def live(self) -> bool:
        """Whether the Redis subscription is confirmed and answering right now."""
        return self._ready.is_set()

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are listening (for tests and metrics)."""
        return sum(len(queues) for queues in self._queues.values())

    async def start(self) -> None:
        """Start listening (in the app's lifespan)."""
        self._task = asyncio.create_task(self._listen(), name="cardgraph-event-hub")
        self._stream_task = asyncio.create_task(self._stream.run(), name="cardgraph-card-stream")

    async def stop(self) -> None:
        """Stop listening."""
        for task in (self._task, self._stream_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def wait_ready(self) -> None:
        """Wait until the Redis subscription and the card event stream are live (events are
        not missed after this)."""
        await self._ready.wait()
        await self._stream.ready.wait()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[Item]]:
        """A queue receiving every message of `channel` (or a `FeedGap` where some were lost)
        until the block exits."""
        queue: asyncio.Queue[Item] = asyncio.Queue(QUEUE_LIMIT)
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
                    # Ready only once the server confirms: a frozen one accepts the send.
                    await confirmed_psubscribe(pubsub, f"{PREFIX}*", self._silence_s)
                    self._freshness.listening()
                    self._ready.set()
                    self._announce_gap()
                    async for message in probed_messages(pubsub, self._silence_s):
                        if message["type"] == "pmessage":
                            self._dispatch(message["channel"], message["data"])
            except asyncio.CancelledError:
                self._freshness.deaf()
                raise
            except (RedisError, OSError):
                raise_if_cancel_requested()
                self._freshness.deaf()
                self._ready.clear()
                self._lost = True
                logger.warning("event hub lost Redis; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY_S)
            except Exception:
                raise_if_cancel_requested()
                # Caches must never outlive the feed that keeps them fresh.
                self._freshness.deaf()
                self._ready.clear()
                self._lost = True
                logger.exception("event hub failed; restarting it")
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _invalidate(self, channel: str, data: bytes) -> None:
        try:
            if channel == CARDS:
                event = CardEvent.from_json(data)
                self._freshness.heard(Topic.CARD, event.card_name, event.origin)
            elif channel == API_KEYS:
                key_id = data.decode()
                self._freshness.heard(Topic.API_KEY, key_id, None)
                for listener in self._revocation_listeners:
                    listener(key_id)
        except (ValueError, KeyError, TypeError):
            # A change we cannot attribute might concern anything cached.
            logger.warning("unreadable change event on %s; forgetting every cache", channel)
            self._freshness.listening()

    def _dispatch(self, channel: bytes | str, data: bytes) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        self._invalidate(name, data)
        if name != CARDS:  # card events reach subscribers through the stream
            self._offer(name, data)

    def _deliver_card_event(self, item: Item) -> None:
        self._offer(CARDS, item)

    def _announce_gap(self) -> None:
        """After a reconnection, tell the subscribers of every other channel that messages
        may have been lost meanwhile (card subscribers hear it from the stream reader)."""
        if not self._lost:
            return
        self._lost = False
        gap = FeedGap(since=None, until=utc_now_ms(), reason="the event link (Redis) was lost")
        for channel in tuple(self._queues):
            if channel != CARDS:
                self._offer(channel, gap)

    def _offer(self, channel: str, item: Item) -> None:
        for queue in tuple(self._queues.get(channel, ())):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                # A subscriber this far behind loses its backlog, and is told so: what it
                # shows must be read afresh (the state is in MongoDB).
                logger.warning("a slow subscriber on %s lost its backlog", channel)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(
                    FeedGap(since=None, until=utc_now_ms(), reason="this subscriber fell behind")
                )
                queue.put_nowait(item)
