"""GraphQL types of audit events and verification results."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.audit.models import AuditEvent
from cardgraph.cards.models import Verification


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


@strawberry.type(name="Verification", description="A card's history re-hashed from storage.")
class VerificationType:
    """Result of verifyCard."""

    audit_events_checked: int = strawberry.field(description="Audit events re-hashed.")
    first_invalid_audit_event: int | None = strawberry.field(
        description="Sequence of the first audit event that does not match, if any."
    )
    valid: bool = strawberry.field(description="Whether every version and audit event matched.")
    card_name: str = strawberry.field(description="The card.")
    versions_checked: int = strawberry.field(
        description="Versions re-hashed (up to the first invalid one)."
    )
    first_invalid_version: int | None = strawberry.field(
        description="The first version that does not match, if any."
    )
    reason: str | None = strawberry.field(description="Why that version does not match.")
    chain_sha256: str | None = strawberry.field(
        description="The recomputed head chain hash (when all versions match)."
    )

    @classmethod
    def from_domain(
        cls, result: Verification, audit_events_checked: int, first_invalid_audit_event: int | None
    ) -> VerificationType:
        return cls(
            audit_events_checked=audit_events_checked,
            first_invalid_audit_event=first_invalid_audit_event,
            valid=result.valid and first_invalid_audit_event is None,
            card_name=result.card_name,
            versions_checked=result.versions_checked,
            first_invalid_version=result.first_invalid_version,
            reason=result.reason,
            chain_sha256=result.chain_sha256,
        )
