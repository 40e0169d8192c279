"""Publishing events to Redis; a lost event is never fatal (the state is in MongoDB)."""

from __future__ import annotations

import dataclasses
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cardgraph.events.cancellation import raise_if_cancel_requested
from cardgraph.events.card_stream import append_card_event
from cardgraph.events.channels import API_KEYS, CARDS, job_channel
from cardgraph.events.models import CardEvent

logger = logging.getLogger("cardgraph.events")


class EventPublisher:
    """Publishes job states and card events; without Redis it publishes nothing."""

    def __init__(self, redis: aioredis.Redis | None, origin: str | None = None) -> None:
        self._redis = redis
        self._origin = origin

    async def job_changed(self, job_id: str, state_json: str) -> None:
        """Announce a job's new state (its JSON, encoded by `jobs.codec`: events carry payloads
        and know nothing of jobs)."""
        await self._publish(job_channel(job_id), [state_json])

    async def card_changed(self, event: CardEvent) -> None:
        """Announce a card event."""
        await self.cards_changed([event])

    async def cards_changed(self, events: list[CardEvent]) -> None:
        """Announce card events, in order, in one round trip."""
        payloads = [dataclasses.replace(e, origin=self._origin).to_json() for e in events]
        await self._publish(CARDS, payloads, stream=True)

    async def api_key_revoked(self, key_id: str) -> None:
        """Tell every API process to stop trusting its cached copy of a key."""
        await self._publish(API_KEYS, [key_id])

    async def _publish(self, channel: str, payloads: list[str], stream: bool = False) -> None:
        """Publish on `channel`; with `stream`, also append to the card event stream (in the
        same round trip), from which subscribers resume after losing their link."""
        if self._redis is None or not payloads:
            return
        try:
            if len(payloads) == 1 and not stream:
                await self._redis.publish(channel, payloads[0])
                return
            async with self._redis.pipeline(transaction=False) as pipeline:
                for payload in payloads:
                    pipeline.publish(channel, payload)
                    if stream:
                        append_card_event(pipeline, payload)
                await pipeline.execute()
        except RedisError:
            raise_if_cancel_requested()
            # Subscribers re-read the stored state when they (re)connect; the write stands.
            logger.warning("could not publish an event on %s", channel, exc_info=True)
