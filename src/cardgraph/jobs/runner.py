"""Running a job inside a worker: claim a lease, progress, finish — the same for every kind.

Every attempt holds a lease on its job (a slot of `leases` in the job document) that the
process's heartbeat renews; every progress report and the finish are conditional on the
lease's token, so a worker that lost its lease (it stalled, was cut off, and the reconciler
gave the job to another) can no longer change the job: a job finishes exactly once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from cardgraph.audit.service import AuditLog
from cardgraph.clock import utc_now_ms
from cardgraph.errors import CardgraphError
from cardgraph.events.publisher import EventPublisher
from cardgraph.jobs.codec import job_to_json
from cardgraph.jobs.heartbeat import LeaseKeeper, process_identity
from cardgraph.jobs.models import MAIN_SLOT, Job, JobError, JobState, Lease, TaskCall
from cardgraph.jobs.repository import JobRepository
from cardgraph.principals import Principal
from cardgraph.storage.mongo import Document

logger = logging.getLogger("cardgraph.jobs")


class JobCancelled(Exception):
    """The job was cancelled, or its lease taken over, while it ran; its work stops."""


# Report progress under a lease and publish it; None once the lease no longer holds the job.
ProgressReport = Callable[[Lease, float, str], Awaitable[Job | None]]


class JobContext:
    """What a job handler gets: the job as claimed, and a progress reporter."""

    def __init__(self, job: Job, lease: Lease, report: ProgressReport) -> None:
        self.job = job
        self.lease = lease
        self._report = report

    async def progress(self, fraction: float, message: str) -> None:
        """Report progress (0-1); raises JobCancelled if the job is no longer this attempt's."""
        updated = await self._report(self.lease, max(0.0, min(1.0, fraction)), message)
        if updated is None:
            raise JobCancelled(self.job.id)
        self.job = updated


Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]


class JobRunner:
    """Runs handlers for job ids; a finished or held job is never run (redelivery is harmless)."""

    def __init__(
        self,
        repository: JobRepository,
        events: EventPublisher,
        audit: AuditLog,
        keeper: LeaseKeeper,
    ) -> None:
        self._repository = repository
        self._events = events
        self._audit = audit
        # The process's lease keeper: its heartbeat renews every lease this runner holds.
        self.keeper = keeper

    @asynccontextmanager
    async def leased(
        self, job_id: str, slot: str = MAIN_SLOT, task: TaskCall | None = None
    ) -> AsyncIterator[tuple[Job, Lease] | None]:
        """Claim a slot of the job and keep its lease renewed inside the block; None if the
        job is over or the slot is held by a live lease (a task for the main slot starts the
        job; a part's `task` is what the reconciler re-sends if this process dies)."""
        lease = self.keeper.new_lease(job_id, slot)
        now = utc_now_ms()
        expires = self.keeper.expiry(now)
        if slot == MAIN_SLOT:
            job = await self._repository.claim(lease, now, expires)
        else:
            assert task is not None, "a part's lease names the task that redoes it"
            job = await self._repository.claim_slot(lease, task, now, expires)
        if job is None:
            logger.info("job %s (%s) is finished, unknown or held elsewhere", job_id, slot)
            yield None
            return
        self.keeper.hold(lease)
        try:
            if slot == MAIN_SLOT:
                await self.announce(job)
            yield job, lease
        finally:
            self.keeper.release(lease)

    async def run(self, job_id: str, handler: Handler) -> Job | None:
        """Claim the job, run the handler, record the outcome; None if nothing was left to do."""
        async with self.leased(job_id) as held:
            if held is None:
                return None
            job, lease = held
            context = JobContext(job, lease, self.report)
            try:
                result = await handler(context)
            except JobCancelled:
                return await self._repository.get(job_id)
            except CardgraphError as error:
                return await self.fail(job_id, JobError(error.code, error.message), lease.fence())
            except Exception:
                logger.exception("job %s failed unexpectedly", job_id)
                # What went wrong is in the worker's log; the job says only where to look.
                unexpected = JobError(
                    "INTERNAL", f"internal error; see the worker log for job {job_id}"
                )
                return await self.fail(job_id, unexpected, lease.fence())
            return await self.succeed(job_id, result, lease)

    async def announce(self, job: Job) -> None:
        """Publish a job's current state."""
        await self._events.job_changed(job.id, job_to_json(job))

    async def job(self, job_id: str) -> Job | None:
        """The job as stored."""
        return await self._repository.get(job_id)

    async def record_part(self, lease: Lease, field: str, value: Any) -> Job | None:
        """Record a fan-out step (a plan, a part's entries or progress) under `lease`; None
        once the lease no longer holds the job (cancelled, failed, or taken over)."""
        return await self._repository.record_part(lease, field, value, utc_now_ms())

    async def report(self, lease: Lease, fraction: float, message: str) -> Job | None:
        """Report progress under `lease` and publish it; None once the lease no longer holds."""
        updated = await self._repository.report(lease, fraction, message, utc_now_ms())
        if updated is not None:
            await self.announce(updated)
        return updated

    async def release(self, lease: Lease) -> Job | None:
        """Give up a slot whose work is done while the job goes on (a batch's plan or part)."""
        self.keeper.release(lease)
        return await self._repository.release(lease, utc_now_ms())

    async def succeed(self, job_id: str, result: dict[str, Any], lease: Lease) -> Job | None:
        """Mark a running job SUCCEEDED with its result, if `lease` still holds it."""
        finished = await self._repository.finish(
            job_id, JobState.SUCCEEDED, utc_now_ms(), result=result, fence=lease.fence()
        )
        if finished is not None:
            await self.announce(finished)
        return finished

    async def fail_task(self, job_id: str, slot: str, error: JobError) -> Job | None:
        """A task died outside the runner (a time limit): fail its job if the task's process
        (or, for a killed pool process, its parent, this one) still holds the lease, or if
        the job never started."""
        me = process_identity(os.getpid())
        fence = {
            "$or": [
                {"state": JobState.QUEUED.value},
                {f"leases.{slot}.worker": me},
                {f"leases.{slot}.parent": me},
            ]
        }
        return await self.fail(job_id, error, fence)

    async def fail(self, job_id: str, error: JobError, fence: Document) -> Job | None:
        """Mark a job FAILED (from QUEUED or RUNNING) where `fence` holds."""
        failed = await self._repository.finish(
            job_id,
            JobState.FAILED,
            utc_now_ms(),
            error=error,
            from_states=(JobState.QUEUED, JobState.RUNNING),
            fence=fence,
        )
        if failed is not None:
            await self.announce(failed)
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
