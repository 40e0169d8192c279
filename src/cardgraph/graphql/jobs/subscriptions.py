"""Live subscriptions: a job's progress, and card events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from cardgraph.errors import NotFoundError, UnavailableError
from cardgraph.events.channels import CARDS, job_channel
from cardgraph.events.hub import EventHub
from cardgraph.events.models import CardEvent, FeedGap
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import CardEventType, JobType
from cardgraph.jobs.codec import job_from_json

# While waiting for events, re-read the stored job now and then: an event lost in Redis
# (a restart, a slow subscriber) delays an update by this much, but never loses it.
RESYNC_S = 5.0


HUB_READY_TIMEOUT_S = 5.0


async def _ready_hub(info: Info) -> EventHub:
    hub = info.context.hub
    if hub is None:
        raise UnavailableError("live events need Redis, which is not configured")
    try:
        await asyncio.wait_for(hub.wait_ready(), HUB_READY_TIMEOUT_S)
    except TimeoutError:
        raise UnavailableError("live events are unavailable: Redis cannot be reached") from None
    return hub


@strawberry.type
class Subscription:
    """Live updates over graphql-transport-ws."""

    @strawberry.subscription(
        description="A job's state: first as stored, then every change, ending after the "
        "final state (at once if the job is already finished)."
    )
    async def job_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[JobType, None]:
        """Follow one job."""
        jobs = info.context.services.jobs
        hub = await _ready_hub(info)
        # Subscribe before reading, so nothing between the read and the first event is missed.
        async with hub.subscribe(job_channel(str(id))) as queue:
            job = await jobs.get(str(id))
            if job is None:
                raise NotFoundError(f"no job with id {id!r}")
            yield JobType(job=job)
            revision = job.revision
            while not job.state.terminal:
                try:
                    item = await asyncio.wait_for(queue.get(), RESYNC_S)
                    if isinstance(item, FeedGap):
                        raise TimeoutError  # changes may have been lost: re-read at once
                    job = job_from_json(item)
                except TimeoutError:
                    stored = await jobs.get(str(id))
                    if stored is None:
                        return
                    job = stored
                if job.revision > revision:
                    revision = job.revision
                    yield JobType(job=job)

    @strawberry.subscription(
        description="Card events (version created, status changed, export ready) for one "
        "card, or for all cards when `name` is omitted. Events lost in transit (the event "
        "server restarted, or this subscriber fell far behind) are announced by a RESYNC "
        "event whose `gap` says since when: read afresh what you show, then keep listening."
    )
    async def card_events(
        self, info: Info, name: str | None = None
    ) -> AsyncGenerator[CardEventType, None]:
        """Follow card changes."""
        hub = await _ready_hub(info)
        async with hub.subscribe(CARDS) as queue:
            while True:
                item = await queue.get()
                if isinstance(item, FeedGap):
                    yield CardEventType.resync(item, name)
                    continue
                event = CardEvent.from_json(item)
                if name is None or event.card_name == name:
                    yield CardEventType(event=event)
