"""The live subscription to a job's progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from cardgraph.errors import NotFoundError
from cardgraph.events.channels import job_channel
from cardgraph.events.models import FeedGap
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.graphql.live_events import ready_hub
from cardgraph.jobs.codec import job_from_json

# While waiting for events, re-read the stored job now and then: an event lost in Redis
# (a restart, a slow subscriber) delays an update by this much, but never loses it.
RESYNC_S = 5.0


@strawberry.type
class JobSubscription:
    """Job progress over graphql-transport-ws."""

    @strawberry.subscription(
        description="A job's state: first as stored, then every change, ending after the "
        "final state (at once if the job is already finished)."
    )
    async def job_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[JobType, None]:
        jobs = info.context.services.jobs
        hub = await ready_hub(info)
        # Subscribe before reading, so nothing between the read and the first event is missed.
        async with hub.subscribe(job_channel(str(id))) as queue:
            job = await jobs.get(str(id))
            if job is None:
                raise NotFoundError(f"no job with id {id!r}")
            yield JobType.from_domain(job)
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
                    yield JobType.from_domain(job)
