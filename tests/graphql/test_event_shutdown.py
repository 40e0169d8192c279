"""The event readers stop when asked, whenever the request arrives: a cancellation that lands
as a blocked read expires used to come back from redis-py as an empty reply, and the reader
read on for ever (a test's EventHub.stop hung; so would the API's shutdown)."""

from __future__ import annotations

import asyncio
import random

import redis.asyncio as aioredis

from cardgraph.caching.freshness import Freshness
from cardgraph.events.card_stream import CardStreamReader
from cardgraph.events.hub import EventHub
from cardgraph.settings import Settings
from tests.support.servers import run_async

ATTEMPTS = 300
# Only a reader that never stops fails this: stopping takes milliseconds.
STOP_WITHIN_S = 30.0


def test_a_card_stream_reader_stops_whenever_it_is_cancelled(settings: Settings) -> None:
    async def scenario() -> int:
        redis = aioredis.from_url(settings.redis_url or "", socket_timeout=2.0)
        rng = random.Random(15)
        stopped = 0
        try:
            for _ in range(ATTEMPTS):
                # Blocks of 10 ms: cancellations land near a block's expiry again and again.
                reader = CardStreamReader(redis, lambda item: None, 0.01)
                task = asyncio.create_task(reader.run())
                await asyncio.sleep(rng.uniform(0, 0.03))
                task.cancel()
                done, _ = await asyncio.wait([task], timeout=STOP_WITHIN_S)
                if not done:
                    break
                stopped += 1
        finally:
            await redis.aclose()
        return stopped

    assert run_async(scenario()) == ATTEMPTS


def test_an_event_hub_stops_whenever_it_is_stopped(settings: Settings) -> None:
    async def scenario() -> int:
        redis = aioredis.from_url(settings.redis_url or "", socket_timeout=2.0)
        rng = random.Random(16)
        stopped = 0
        try:
            for _ in range(ATTEMPTS // 3):
                hub = EventHub(redis, Freshness(60.0), silence_s=0.02)
                await hub.start()
                await asyncio.sleep(rng.uniform(0, 0.05))
                try:
                    async with asyncio.timeout(STOP_WITHIN_S):
                        await hub.stop()
                except TimeoutError:
                    break
                stopped += 1
        finally:
            await redis.aclose()
        return stopped

    assert run_async(scenario()) == ATTEMPTS // 3
