"""Pure job types: kinds, states, the job document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cardgraph.principals import Principal, Role


class JobKind(StrEnum):
    """What a job does."""

    EXPORT_CARD_PDF = "EXPORT_CARD_PDF"
    EXPORT_CARDS = "EXPORT_CARDS"
    INGEST_METRICS = "INGEST_METRICS"
    AUTOPOPULATE = "AUTOPOPULATE"
    SYNC_MODEL_PACKAGES = "SYNC_MODEL_PACKAGES"


class JobState(StrEnum):
    """Life cycle of a job: QUEUED → RUNNING → SUCCEEDED | FAILED; CANCELLED from either."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        """Whether the job can no longer change."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)

# The slot of a job's own task; a fanned-out job's parts hold slots of their own ("part3").
MAIN_SLOT = "main"


@dataclass(frozen=True, slots=True)
class TaskCall:
    """A Celery task by name, queue and JSON arguments: what the reconciler sends again."""

    name: str
    queue: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Lease:
    """One task's hold on a slot of a job; its token fences every write that task makes."""

    job_id: str
    slot: str
    token: str
    worker: str  # host/pid of the process running the task
    parent: str  # host/pid of that process's parent (the Celery worker's main process)

    def fence(self) -> dict[str, Any]:
        """The query condition that holds only while this lease is the slot's current one."""
        return {f"leases.{self.slot}.token": self.token}


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """A slot's lease as stored; `token` is None once the reconciler has re-sent its task."""

    slot: str
    token: str | None
    worker: str | None
    expires_at: datetime | None
    attempts: int
    task: TaskCall | None  # None for the main slot: the job's kind names its task

    def lapsed(self, now: datetime) -> bool:
        """Whether the holder stopped renewing it (or a re-sent task never claimed it)."""
        return self.expires_at is not None and self.expires_at < now


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: a stable code and a message."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Job:
    """A job document; `revision` grows with every change, so events can be ordered."""

    id: str
    kind: JobKind
    state: JobState
    input: dict[str, Any]
    requested_by: str
    created_at: datetime
    updated_at: datetime
    card_name: str | None = None
    progress: float = 0.0
    message: str = ""
    result: dict[str, Any] | None = None
    error: JobError | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    revision: int = 0
    sent_at: datetime | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    requester_key: str | None = None  # the key (or OIDC subject) that started the job
    leases: dict[str, LeaseRecord] = field(default_factory=dict)  # slot -> lease (running)
    lease_resends: int = 0  # tasks the reconciler re-sent because their lease lapsed

    def input_visible_to(self, principal: Principal) -> bool:
        """Inputs name private things (S3 paths, uploads): the requester's and reviewers' only."""
        return principal.role >= Role.APPROVER or (
            self.requester_key is not None and principal.key_id == self.requester_key
        )


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Conditions on listed jobs."""

    kinds: tuple[JobKind, ...] = ()
    states: tuple[JobState, ...] = ()
    card_name: str | None = None
