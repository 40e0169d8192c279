"""Starting, reading, cancelling and re-sending jobs (API side)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from cardgraph.audit.service import AuditLog
from cardgraph.clock import utc_now_ms
from cardgraph.errors import NotFoundError
from cardgraph.events.publisher import EventPublisher
from cardgraph.jobs.codec import job_to_json
from cardgraph.jobs.models import ACTIVE_STATES, Job, JobFilter, JobKind, JobState
from cardgraph.jobs.queue import JobQueue
from cardgraph.jobs.repository import JobRepository
from cardgraph.pagination import Page, PageRequest, page_of
from cardgraph.principals import Principal, Role

logger = logging.getLogger("cardgraph.jobs")


class JobService:
    """The job life cycle as the API sees it; workers use `JobRunner`."""

    def __init__(
        self,
        repository: JobRepository,
        queue: JobQueue | None,
        events: EventPublisher,
        audit: AuditLog,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._queue = queue
        self._events = events

    async def start(
        self,
        kind: JobKind,
        job_input: dict[str, Any],
        actor: Principal,
        card_name: str | None = None,
    ) -> Job:
        """Record a QUEUED job, then send its task; a failed send is retried by the reconciler."""
        actor.require(Role.EDITOR, "starting jobs")
        now = utc_now_ms()
        job = Job(
            id=uuid.uuid4().hex,
            kind=kind,
            state=JobState.QUEUED,
            input=job_input,
            requested_by=actor.actor,
            requester_key=actor.key_id,
            created_at=now,
            updated_at=now,
            card_name=card_name,
            message="queued",
            sent_at=now,
        )
        await self._repository.insert(job)
        await self._audit.record(
            actor,
            "startJob",
            card_name=card_name,
            details={"job": job.id, "kind": kind.value, "input": job_input},
        )
        await self._send(job)
        return job

    async def _send(self, job: Job) -> bool:
        if self._queue is None:
            logger.warning("no broker configured; job %s waits for the reconciler", job.id)
            return False
        try:
            await self._queue.send(job)
        except Exception:  # the job is stored: the reconciler sends it once the broker is back
            logger.warning("could not send job %s; the reconciler will", job.id, exc_info=True)
            return False
        return True

    async def get(self, job_id: str) -> Job | None:
        """A job by id."""
        return await self._repository.get(job_id)

    async def require(self, job_id: str) -> Job:
        """A job by id, or NOT_FOUND."""
        job = await self._repository.get(job_id)
        if job is None:
            raise NotFoundError(f"no job with id {job_id!r}")
        return job

    async def list_jobs(
        self, job_filter: JobFilter, request: PageRequest[tuple[datetime, str]]
    ) -> Page[Job, tuple[datetime, str]]:
        """Jobs, newest first."""
        found = await self._repository.find(job_filter, request.after, request.limit)
        return page_of(
            request,
            found,
            lambda j: (j.created_at, j.id),
            lambda: self._repository.count(job_filter),
        )

    async def cancel(self, job_id: str, actor: Principal) -> Job:
        """Cancel a queued or running job; a finished job is returned unchanged."""
        actor.require(Role.EDITOR, "cancelling jobs")
        cancelled = await self._repository.finish(
            job_id, JobState.CANCELLED, utc_now_ms(), from_states=ACTIVE_STATES
        )
        if cancelled is None:
            return await self.require(job_id)
        await self._audit.record(
            actor,
            "cancelJob",
            card_name=cancelled.card_name,
            details={"job": job_id, "kind": cancelled.kind.value},
        )
        await self._events.job_changed(cancelled.id, job_to_json(cancelled))
        return cancelled

    async def resend_lost(self, older_than: timedelta, limit: int = 100) -> list[str]:
        """Re-send QUEUED jobs whose message seems lost (e.g. the broker restarted empty)."""
        now = utc_now_ms()
        resent = []
        for job in await self._repository.queued_before(now - older_than, limit):
            await self._repository.mark_sent(job.id, now)
            if await self._send(job):
                resent.append(job.id)
        return resent
