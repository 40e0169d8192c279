"""The reconciler (run by Celery beat): sends again the tasks of jobs nobody is working on.

Two kinds of loss: a QUEUED job whose message never reached a worker (the broker restarted
empty), and a RUNNING job whose lease lapsed — its worker died, was killed (SIGKILL, a hard
Ctrl-C, an OOM kill, a lost machine) or was cut off, so its heartbeat stopped. The broker would
redeliver the dead worker's message only after its visibility timeout (an hour); the lapsed
lease is noticed within `job_lease_s` plus one reconcile interval.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from cardgraph.clock import utc_now_ms
from cardgraph.jobs.models import Job, JobError, LeaseRecord, TaskCall
from cardgraph.jobs.names import QUEUE_OF_TASK, TASK_OF_KIND
from cardgraph.jobs.queue import JobQueue
from cardgraph.jobs.repository import JobRepository
from cardgraph.jobs.runner import JobRunner
from cardgraph.jobs.service import JobService

logger = logging.getLogger("cardgraph.jobs")

WORKER_LOST = "WORKER_LOST"


class JobReconciler:
    """Re-sends lost and abandoned tasks; fails a job whose every attempt lost its worker."""

    def __init__(
        self,
        repository: JobRepository,
        jobs: JobService,
        runner: JobRunner,
        queue: JobQueue | None,
        *,
        resend_after: timedelta,
        max_attempts: int,
    ) -> None:
        self._repository = repository
        self._jobs = jobs
        self._runner = runner
        self._queue = queue
        self._resend_after = resend_after
        self._max_attempts = max_attempts

    async def reconcile(self) -> list[str]:
        """One sweep: what was re-sent (job ids, and `id:slot` for lapsed leases)."""
        resent = await self._jobs.resend_lost(self._resend_after)
        return resent + await self.resend_lapsed()

    async def resend_lapsed(self, limit: int = 1000) -> list[str]:
        """Re-send the task of every lapsed lease of a RUNNING job."""
        now = utc_now_ms()
        resent: list[str] = []
        for job in await self._repository.running(limit):
            for lease in job.leases.values():
                if not lease.lapsed(now):
                    continue
                if lease.token is not None and lease.attempts >= self._max_attempts:
                    await self._give_up(job, lease)
                    break
                # Taking the lease first (conditional on it being unchanged) makes concurrent
                # reconcilers, or a holder that renews just now, send nothing twice.
                if not await self._repository.resend(job.id, lease, now, now + self._resend_after):
                    continue
                logger.warning(
                    "job %s: the lease of %s (held by %s) lapsed; sending its task again",
                    job.id,
                    lease.slot,
                    lease.worker or "a re-sent task",
                )
                if await self._send(lease.task or _main_task(job)):
                    resent.append(f"{job.id}:{lease.slot}")
        return resent

    async def _give_up(self, job: Job, lease: LeaseRecord) -> None:
        fence = {
            f"leases.{lease.slot}.token": lease.token,
            f"leases.{lease.slot}.expires_at": lease.expires_at,
        }
        message = (
            f"the worker running this job stopped during each of its {lease.attempts} "
            "attempts (crashed, killed or cut off); see the worker logs"
        )
        logger.error("job %s: %s", job.id, message)
        await self._runner.fail(job.id, JobError(WORKER_LOST, message), fence)

    async def _send(self, task: TaskCall) -> bool:
        if self._queue is None:
            return False
        try:
            await self._queue.send_task(task.name, list(task.args))
        except Exception:  # the lease lapses again after `resend_after`: the next sweep resends
            logger.warning("could not re-send %s; the next sweep will", task.name, exc_info=True)
            return False
        return True


def _main_task(job: Job) -> TaskCall:
    name = TASK_OF_KIND[job.kind]
    return TaskCall(name, QUEUE_OF_TASK[name], (job.id,))
