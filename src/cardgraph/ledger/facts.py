"""A version and its status changes as the ledger checks them (pure): what the database or an
exported bundle holds, before anything is trusted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """One stored status change."""

    from_status: str | None
    to_status: str
    changed_by: str
    changed_at: datetime
    sha256: str
    migrated: bool = False


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """One stored version; `computed_content_sha256` is the hash of its content as found."""

    number: int
    content_sha256: str
    computed_content_sha256: str
    chain_sha256: str
    previous_chain_sha256: str | None
    created_at: datetime
    created_by: str
    source: str
    job_id: str | None
    status: str
    status_history: tuple[StatusFacts, ...]
    scheme: int
    # The sections whose provenance says this version's write set them, each with what the
    # write read (checked against its audit event's `origin`); None when none is recorded.
    origins: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that does not match: which record, and why."""

    record: str
    reason: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.record}: {self.reason}"

    @property
    def audit_event(self) -> int | None:
        """The sequence number of the audit event found wanting, if the record is one."""
        prefix = "audit event "
        return int(self.record[len(prefix) :]) if self.record.startswith(prefix) else None
