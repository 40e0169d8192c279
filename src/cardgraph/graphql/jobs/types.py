"""GraphQL types of jobs and card events."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.graphql.context import Info
from cardgraph.jobs import models
from cardgraph.jobs.models import JobKind, JobState

strawberry.enum(JobKind, description="What a job does.")
strawberry.enum(
    JobState,
    description="QUEUED → RUNNING → SUCCEEDED or FAILED; CANCELLED from QUEUED or RUNNING.",
)


@strawberry.type(description="Why a job failed.")
class JobError:
    """Error code and message of a failed job."""

    code: str = strawberry.field(description="Stable error code, as in GraphQL errors.")
    message: str = strawberry.field(description="Human-readable explanation.")


@strawberry.type(name="Job", description="Slow work done by a worker, with live progress.")
class JobType:
    """A job and its current state; only its input needs a resolver (who may see it)."""

    job: strawberry.Private[models.Job]

    def _input(self, info: Info) -> JSON | None:
        if not self.job.input_visible_to(info.context.actor):
            return None
        return cast("JSON", self.job.input)

    id: strawberry.ID = strawberry.field(description="Job id.")
    kind: JobKind = strawberry.field(description="What the job does.")
    state: JobState = strawberry.field(description="Where the job is in its life cycle.")
    progress: float = strawberry.field(description="Progress from 0 to 1.")
    message: str = strawberry.field(description="What the job is doing now.")
    input: JSON | None = strawberry.field(
        resolver=_input,
        description="The job's input, as given; null unless you requested the job or are an "
        "approver or admin (inputs name S3 paths and uploaded files).",
    )
    result: JSON | None = strawberry.field(
        description="The result of a SUCCEEDED job (artifact, download URL, …)."
    )
    error: JobError | None = strawberry.field(description="Why the job FAILED.")
    card_name: str | None = strawberry.field(description="The card the job concerns, if one.")
    requested_by: str = strawberry.field(description="Who started the job.")
    attempts: int = strawberry.field(description="How many times a worker started the job.")
    revision: int = strawberry.field(description="Grows with every change of the job.")
    created_at: datetime = strawberry.field(description="When the job was created.")
    updated_at: datetime = strawberry.field(description="When the job last changed.")
    started_at: datetime | None = strawberry.field(
        description="When a worker last started the job."
    )
    finished_at: datetime | None = strawberry.field(
        description="When the job reached its final state."
    )

    @classmethod
    def from_domain(cls, job: models.Job) -> JobType:
        error = job.error
        return cls(
            job=job,
            id=strawberry.ID(job.id),
            kind=job.kind,
            state=job.state,
            progress=job.progress,
            message=job.message,
            result=cast("JSON", job.result),
            error=JobError(code=error.code, message=error.message) if error else None,
            card_name=job.card_name,
            requested_by=job.requested_by,
            attempts=job.attempts,
            revision=job.revision,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


@strawberry.input(description="Conditions on listed jobs.")
class JobFilter:
    """Job list filter."""

    kind: list[JobKind] | None = strawberry.field(default=None, description="Any of these kinds.")
    state: list[JobState] | None = strawberry.field(
        default=None, description="Any of these states."
    )
    card_name: str | None = strawberry.field(default=None, description="Jobs of this card.")

    def to_domain(self) -> models.JobFilter:
        """The domain filter."""
        return models.JobFilter(
            kinds=tuple(self.kind or ()),
            states=tuple(self.state or ()),
            card_name=self.card_name,
        )
