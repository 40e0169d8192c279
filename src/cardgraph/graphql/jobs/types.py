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
    """A job and its current state."""

    job: strawberry.Private[models.Job]

    @strawberry.field(description="Job id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.job.id)

    @strawberry.field(description="What the job does.")
    def kind(self) -> JobKind:
        return self.job.kind

    @strawberry.field(description="Where the job is in its life cycle.")
    def state(self) -> JobState:
        return self.job.state

    @strawberry.field(description="Progress from 0 to 1.")
    def progress(self) -> float:
        return self.job.progress

    @strawberry.field(description="What the job is doing now.")
    def message(self) -> str:
        return self.job.message

    @strawberry.field(
        description="The job's input, as given; null unless you requested the job or are an "
        "approver or admin (inputs name S3 paths and uploaded files)."
    )
    def input(self, info: Info) -> JSON | None:
        if not self.job.input_visible_to(info.context.actor):
            return None
        return cast("JSON", self.job.input)

    @strawberry.field(description="The result of a SUCCEEDED job (artifact, download URL, …).")
    def result(self) -> JSON | None:
        return cast("JSON", self.job.result)

    @strawberry.field(description="Why the job FAILED.")
    def error(self) -> JobError | None:
        error = self.job.error
        return JobError(code=error.code, message=error.message) if error else None

    @strawberry.field(description="The card the job concerns, if one.")
    def card_name(self) -> str | None:
        return self.job.card_name

    @strawberry.field(description="Who started the job.")
    def requested_by(self) -> str:
        return self.job.requested_by

    @strawberry.field(description="How many times a worker started the job.")
    def attempts(self) -> int:
        return self.job.attempts

    @strawberry.field(description="Grows with every change of the job.")
    def revision(self) -> int:
        return self.job.revision

    @strawberry.field(description="When the job was created.")
    def created_at(self) -> datetime:
        return self.job.created_at

    @strawberry.field(description="When the job last changed.")
    def updated_at(self) -> datetime:
        return self.job.updated_at

    @strawberry.field(description="When a worker last started the job.")
    def started_at(self) -> datetime | None:
        return self.job.started_at

    @strawberry.field(description="When the job reached its final state.")
    def finished_at(self) -> datetime | None:
        return self.job.finished_at


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
