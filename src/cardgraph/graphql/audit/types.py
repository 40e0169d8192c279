"""GraphQL types of audit events and verification results."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.audit.models import AuditEvent
from cardgraph.cards.verification import Verification
from cardgraph.graphql.audit.ledger_types import CheckpointType
from cardgraph.ledger.facts import Finding


@strawberry.type(name="AuditEvent", description="One recorded change: who did what, when.")
class AuditEventType:
    """An audit event."""

    actor: str = strawberry.field(
        description="Who acted (`apikey:<name>`, or what a job acted for)."
    )
    role: str = strawberry.field(description="The actor's role.")
    operation: str = strawberry.field(description="What was done (the mutation or job step).")
    card_name: str | None = strawberry.field(description="The card concerned, if any.")
    version: int | None = strawberry.field(description="The version concerned, if any.")
    before_sha256: str | None = strawberry.field(description="Content SHA-256 before the change.")
    after_sha256: str | None = strawberry.field(description="Content SHA-256 after the change.")
    at: datetime = strawberry.field(description="When it happened.")
    request_id: str | None = strawberry.field(
        description="The request it came from (X-Request-Id)."
    )
    details: JSON = strawberry.field(description="Operation-specific details (statuses, job, key).")
    sequence: int = strawberry.field(
        description="Position in its chain (per card; one chain for the rest)."
    )
    event_sha256: str = strawberry.field(
        description="SHA-256 chaining this event to the previous one."
    )

    @classmethod
    def from_domain(cls, event: AuditEvent) -> AuditEventType:
        return cls(
            actor=event.actor,
            role=event.role,
            operation=event.operation,
            card_name=event.card_name,
            version=event.version,
            before_sha256=event.before_sha256,
            after_sha256=event.after_sha256,
            at=event.at,
            request_id=event.request_id,
            details=cast("JSON", event.details),
            sequence=event.sequence,
            event_sha256=event.event_sha256,
        )


@strawberry.type(name="VerificationFinding", description="A record that does not match.")
class VerificationFindingType:
    """One finding of verifyCard."""

    record: str = strawberry.field(
        description="Which record: `version 7`, `version 7, status change 2`, `audit event 12`, "
        "`card`, `the card's checkpoint` or `the given checkpoint`."
    )
    reason: str = strawberry.field(description="What does not match.")
    version: int | None = strawberry.field(description="The version concerned, if one is.")

    @classmethod
    def from_domain(cls, finding: Finding) -> VerificationFindingType:
        return cls(record=finding.record, reason=finding.reason, version=finding.version)


@strawberry.type(
    name="Verification",
    description="A card's whole history checked from storage: every version and status change "
    "re-hashed, each bound to its audit event, the audit chain re-hashed, and the history "
    "compared with the card's signed checkpoint (and one the caller kept, if given).",
)
class VerificationType:
    """Result of verifyCard."""

    audit_events_checked: int = strawberry.field(description="Audit events re-hashed.")
    first_invalid_audit_event: int | None = strawberry.field(
        description="Sequence of the first audit event that does not match, if any."
    )
    valid: bool = strawberry.field(description="Whether nothing at all was found.")
    card_name: str = strawberry.field(description="The card.")
    versions_checked: int = strawberry.field(
        description="Versions re-hashed (up to a missing one, if any)."
    )
    first_invalid_version: int | None = strawberry.field(
        description="The first version that does not match, if any."
    )
    first_invalid_record: str | None = strawberry.field(
        description="The first record that does not match (see `findings`), if any."
    )
    reason: str | None = strawberry.field(description="Why the first bad record does not match.")
    findings: list[VerificationFindingType] = strawberry.field(
        description="Everything that does not match, first bad record first (at most 50)."
    )
    chain_sha256: str | None = strawberry.field(
        description="The recomputed chain hash of the last version checked."
    )
    event_sha256: str | None = strawberry.field(
        description="The hash of the card's last audit event."
    )
    checkpoints_checked: int = strawberry.field(
        description="Signed checkpoints compared with the history (the card's, and the given one)."
    )
    checkpoint: CheckpointType | None = strawberry.field(
        description="The card's signed head as stored, if there is one."
    )

    @classmethod
    def from_domain(cls, verification: Verification) -> VerificationType:
        result = verification.result
        first = verification.first_finding
        versions = [f.version for f in result.findings if f.record.startswith("version")]
        events = [f.audit_event for f in result.findings if f.audit_event is not None]
        return cls(
            audit_events_checked=result.events,
            first_invalid_audit_event=min(events) if events else None,
            valid=result.valid,
            card_name=verification.card_name,
            versions_checked=result.versions,
            first_invalid_version=min((v for v in versions if v is not None), default=None),
            first_invalid_record=first.record if first else None,
            reason=first.reason if first else None,
            findings=[VerificationFindingType.from_domain(f) for f in result.findings],
            chain_sha256=result.version_sha256,
            event_sha256=result.event_sha256,
            checkpoints_checked=result.checkpoints_checked,
            checkpoint=(
                CheckpointType.from_domain(verification.checkpoint)
                if verification.checkpoint
                else None
            ),
        )
