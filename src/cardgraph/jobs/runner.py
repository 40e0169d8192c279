"""Running a job inside a worker: claim, progress, finish — the same for every kind."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cardgraph.access.models import Principal
from cardgraph.audit.service import AuditLog
from cardgraph.clock import utc_now_ms
from cardgraph.errors import CardgraphError
from cardgraph.events.publisher import EventPublisher
from cardgraph.jobs.models import Job, JobError, JobState
from cardgraph.jobs.repository import JobRepository

logger = logging.getLogger("cardgraph.jobs")


class JobCancelled(Exception):
    """The job was cancelled while it ran; its work stops at the next progress report."""


class JobContext:
    """What a job handler gets: the job as claimed, and a progress reporter."""

    def __init__(self, job: Job, repository: JobRepository, events: EventPublisher) -> None:
        self.job = job
        self._repository = repository
        self._events = events

    async def progress(self, fraction: float, message: str) -> None:
        """Report progress (0-1); raises JobCancelled if the job was cancelled meanwhile."""
        updated = await self._repository.report(
            self.job.id, max(0.0, min(1.0, fraction)), message, utc_now_ms()
        )
        if updated is None:
            raise JobCancelled(self.job.id)
        self.job = updated
        await self._events.job_changed(updated)


Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]


class JobRunner:
    """Runs handlers for job ids; a finished job is never run again (redelivery is harmless)."""

    def __init__(self, repository: JobRepository, events: EventPublisher, audit: AuditLog) -> None:
        self._repository = repository
        self._events = events
        self._audit = audit

    async def run(self, job_id: str, handler: Handler) -> Job | None:
        """Claim the job, run the handler, record the outcome; None if nothing was left to do."""
        job = await self._repository.claim(job_id, utc_now_ms())
        if job is None:
            logger.info("job %s is finished or unknown; nothing to do", job_id)
            return None
        await self._events.job_changed(job)
        context = JobContext(job, self._repository, self._events)
        try:
            result = await handler(context)
        except JobCancelled:
            return await self._repository.get(job_id)
        except CardgraphError as error:
            return await self.fail(job_id, JobError(error.code, error.message))
        except Exception:
            logger.exception("job %s failed unexpectedly", job_id)
            # What went wrong is in the worker's log; the job says only where to look.
            return await self.fail(
                job_id, JobError("INTERNAL", f"internal error; see the worker log for job {job_id}")
            )
        return await self.succeed(job_id, result)

    async def announce(self, job: Job) -> None:
        """Publish a job's current state."""
        await self._events.job_changed(job)

    async def succeed(self, job_id: str, result: dict[str, Any]) -> Job | None:
        """Mark a running job SUCCEEDED with its result."""
        finished = await self._repository.finish(
            job_id, JobState.SUCCEEDED, utc_now_ms(), result=result
        )
        if finished is not None:
            await self._events.job_changed(finished)
        return finished

    async def fail(self, job_id: str, error: JobError) -> Job | None:
        """Mark a job FAILED (from QUEUED or RUNNING)."""
        failed = await self._repository.finish(
            job_id,
            JobState.FAILED,
            utc_now_ms(),
            error=error,
            from_states=(JobState.QUEUED, JobState.RUNNING),
        )
        if failed is not None:
            await self._events.job_changed(failed)
            await self._record_failure(failed, error)
        return failed

    async def _record_failure(self, job: Job, error: JobError) -> None:
        """A failed job is a fact of the card's history (or the system's): audit it."""
        try:
            await self._audit.record(
                Principal.for_job(job.id, job.requested_by),
                "jobFailed",
                card_name=job.card_name,
                details={
                    "jobId": job.id,
                    "kind": job.kind.value,
                    "code": error.code,
                    "reason": error.message[:200],
                },
            )
        except Exception:  # the job's failure stands; a lost trace of it is logged
            logger.exception("could not audit the failure of job %s", job.id)
