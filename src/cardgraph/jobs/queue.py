"""Sending job tasks to the broker by name (the API never imports `workers`)."""

from __future__ import annotations

import asyncio
import uuid

from celery import Celery

from cardgraph.events.redis_connection import broker_transport_timeouts
from cardgraph.jobs.models import Job
from cardgraph.jobs.names import QUEUE_OF_TASK, TASK_OF_KIND
from cardgraph.settings import Settings


class JobQueue:
    """A producer-only Celery app: sends `task(job_id)` to the kind's queue."""

    def __init__(self, settings: Settings) -> None:
        self._celery = Celery("cardgraph-producer", broker=settings.redis_url, set_as_current=False)
        self._celery.conf.update(
            broker_connection_retry_on_startup=False,
            broker_transport_options={
                "visibility_timeout": settings.broker_visibility_timeout_s,
                **broker_transport_timeouts(settings),
            },
            # Establishing the broker connection is bounded like every other broker call.
            broker_connection_timeout=settings.redis_timeout_s,
            task_serializer="json",
        )

    async def send(self, job: Job) -> None:
        """Send the job's task; raises if the broker cannot be reached."""
        await self.send_task(TASK_OF_KIND[job.kind], [job.id])

    async def send_task(self, name: str, args: list[object]) -> None:
        """Send any task by name to its queue (kombu is blocking: run it in a thread)."""
        await asyncio.to_thread(
            self._celery.send_task,
            name,
            args=args,
            queue=QUEUE_OF_TASK[name],
            task_id=uuid.uuid4().hex,
            retry=True,
            # One retry covers a broker restart; with a frozen broker each attempt waits out
            # `redis_timeout_s`, so more would hold the request (the reconciler resends).
            retry_policy={"max_retries": 1, "interval_start": 0.1},
        )

    def close(self) -> None:
        """Release the broker connections."""
        self._celery.close()
