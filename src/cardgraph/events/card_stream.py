"""Card events through a Redis stream: a reader that lost its link resumes where it stopped,
and says so when it cannot vouch that nothing was lost.

Pub/sub forgets whatever is published while a subscriber is away, so a `cardEvents` subscriber
missed, silently, every event of a Redis outage and the first ones after it. Publishers now
also append each card event to a capped stream (`CARD_STREAM`), and each API process reads it
from the id of the last entry it delivered. After a reconnection:

- same server (its `run_id`) and the last entry still in the stream: the stream holds every
  event published meanwhile; they are delivered, and no event is missing;
- otherwise (the server restarted, so publishes failed while it was down; or the stream was
  trimmed past the last entry read): subscribers first get a `FeedGap` from the last moment the
  feed was known complete until now (Kubernetes' "410 Gone": relist, then watch), then every
  entry the stream holds after the last one read, which covers events written after the
  restart but before this reader was back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import cast

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from cardgraph.clock import utc_now_ms
from cardgraph.events.cancellation import raise_if_cancel_requested
from cardgraph.events.channels import CARD_STREAM
from cardgraph.events.models import FeedGap

logger = logging.getLogger("cardgraph.events")

# About this many entries stay (trimmed approximately, which is cheap): minutes of events.
STREAM_LENGTH = 10_000
FIELD = b"event"
READ_BATCH = 500
RECONNECT_DELAY_S = 0.5
START = "0-0"

Deliver = Callable[[bytes | FeedGap], None]
# A stream entry as redis-py returns it over RESP2 (our clients' protocol): (id, {field: value}).
Entry = tuple[bytes, dict[bytes, bytes]]


def append_card_event(pipeline: Pipeline, payload: str) -> None:
    """Queue the append of one card event to the stream on `pipeline`."""
    pipeline.xadd(CARD_STREAM, {FIELD: payload}, maxlen=STREAM_LENGTH, approximate=True)


class CardStreamReader:
    """Reads the card event stream from where it stopped and hands each entry to `deliver`."""

    def __init__(self, redis: aioredis.Redis, deliver: Deliver, block_s: float) -> None:
        self._redis = redis
        self._deliver = deliver
        # A blocked read returns empty after this long: it stays well within the client's
        # socket timeout, and every return proves the link alive.
        self._block_ms = max(1, int(block_s * 1000))
        self._ready = asyncio.Event()

    @property
    def ready(self) -> asyncio.Event:
        """Set while the reader is positioned and reading."""
        return self._ready

    async def run(self) -> None:
        """Read until cancelled, reconnecting after any Redis failure."""
        last_id: str | None = None
        server: str | None = None
        heard_at: datetime | None = None
        while True:
            try:
                run_id = await self._run_id()
                if last_id is None:  # first start: from the end, like a new subscriber
                    last_id = await self._newest_id()
                else:
                    last_id = await self._resume(last_id, run_id == server, heard_at)
                server = run_id
                self._ready.set()
                while True:
                    replies = cast(
                        "list[tuple[bytes, list[Entry]]] | None",
                        await self._redis.xread(
                            {CARD_STREAM: last_id}, count=READ_BATCH, block=self._block_ms
                        ),
                    )
                    # A cancellation arriving as the block expires can come back as an empty
                    # reply (redis-py's read timeout swallows it): ask the task.
                    raise_if_cancel_requested()
                    heard_at = utc_now_ms()
                    for _stream, entries in replies or ():
                        for entry_id, fields in entries:
                            last_id = _text(entry_id)
                            if FIELD in fields:
                                self._deliver(fields[FIELD])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                raise_if_cancel_requested()
                self._ready.clear()
                logger.warning("card event stream lost Redis; resuming", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY_S)
            except Exception:
                raise_if_cancel_requested()
                # Subscribers must not wait on a reader that died: start over from the position.
                self._ready.clear()
                logger.exception("card event stream reader failed; restarting it")
                await asyncio.sleep(RECONNECT_DELAY_S)

    async def _resume(self, last_id: str, same_server: bool, heard_at: datetime | None) -> str:
        """Where to read from after a reconnection, delivering a gap first if need be."""
        kept = last_id == START or bool(await self._redis.xrange(CARD_STREAM, last_id, last_id))
        if same_server and kept:
            return last_id  # every event published meanwhile is in the stream
        if same_server:
            reason = "the event stream was trimmed past what this server had read"
        else:
            reason = (
                "the event server (Redis) restarted; events published while it was down are lost"
            )
        self._deliver(FeedGap(since=heard_at, until=utc_now_ms(), reason=reason))
        # A restarted server without persistence holds a new stream: all of it is unread.
        return last_id if kept or same_server else START

    async def _run_id(self) -> str:
        info = await self._redis.info("server")
        return str(info.get("run_id", ""))

    async def _newest_id(self) -> str:
        newest = cast("list[Entry]", await self._redis.xrevrange(CARD_STREAM, count=1))
        return _text(newest[0][0]) if newest else START


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
