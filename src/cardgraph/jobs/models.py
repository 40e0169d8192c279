"""Pure job types: kinds, states, the job document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cardgraph.access.models import Principal, Role


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
