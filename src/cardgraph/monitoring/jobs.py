"""Job metrics: jobs created, started and finished, by kind and state, with durations.

They count transitions where they happen, in whichever process makes them: the API creates
and cancels jobs, workers start and finish them. A worker's pool processes write them to
prometheus_client's multiprocess files (workers/monitoring.py), which the worker's metrics
server adds up; the API serves its own with the rest of its metrics.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from cardgraph.jobs.models import Job
from cardgraph.jobs.repository import JobRepository

# Seconds: a small PDF takes a fraction of one, a batch export or a large card minutes.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

# Not the default registry: in multiprocess mode the worker's server collects from files.
REGISTRY = CollectorRegistry(auto_describe=True)

JOBS_CREATED = Counter(
    "cardgraph_jobs_created",
    "Jobs created (stored QUEUED and sent), by kind.",
    ["kind"],
    registry=REGISTRY,
)
JOBS_STARTED = Counter(
    "cardgraph_jobs_started",
    "Attempts started (a job claimed by a worker; a job taken over counts again), by kind.",
    ["kind"],
    registry=REGISTRY,
)
JOBS_FINISHED = Counter(
    "cardgraph_jobs_finished",
    "Jobs that reached a final state, by kind and state (SUCCEEDED, FAILED, CANCELLED).",
    ["kind", "state"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "cardgraph_job_duration_seconds",
    "Running time of finished jobs (last start to finish), by kind and final state.",
    ["kind", "state"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)
JOB_QUEUE_WAIT = Histogram(
    "cardgraph_job_queue_wait_seconds",
    "Time from a job's creation to its first start, by kind.",
    ["kind"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)


def observe_created(job: Job) -> None:
    """Count a new job."""
    JOBS_CREATED.labels(job.kind.value).inc()


def observe_started(job: Job) -> None:
    """Count an attempt; the first one also records how long the job waited."""
    JOBS_STARTED.labels(job.kind.value).inc()
    if job.attempts == 1 and job.started_at is not None:
        waited = (job.started_at - job.created_at).total_seconds()
        JOB_QUEUE_WAIT.labels(job.kind.value).observe(max(0.0, waited))


def observe_finished(job: Job) -> None:
    """Count a job's final state and, if it ran, its running time."""
    JOBS_FINISHED.labels(job.kind.value, job.state.value).inc()
    if job.started_at is not None and job.finished_at is not None:
        ran = (job.finished_at - job.started_at).total_seconds()
        JOB_DURATION.labels(job.kind.value, job.state.value).observe(max(0.0, ran))


class ObservedJobRepository(JobRepository):
    """The job repository, counting each transition its conditional writes make (once each:
    a write whose condition failed returns None and counts nothing)."""

    async def insert(self, job: Job) -> None:
        """Store a new job and count it."""
        await super().insert(job)
        observe_created(job)

    async def claim(self, *args: Any, **kwargs: Any) -> Job | None:
        """Start an attempt of a job; count it if it started."""
        claimed = await super().claim(*args, **kwargs)
        if claimed is not None:
            observe_started(claimed)
        return claimed

    async def finish(self, *args: Any, **kwargs: Any) -> Job | None:
        """Finish a job; count it if this call finished it."""
        finished = await super().finish(*args, **kwargs)
        if finished is not None:
            observe_finished(finished)
        return finished
