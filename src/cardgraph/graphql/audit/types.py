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

    event: strawberry.Private[AuditEvent]

    @strawberry.field(description="Who acted (`apikey:<name>`, or what a job acted for).")
    def actor(self) -> str:
        return self.event.actor

    @strawberry.field(description="The actor's role.")
    def role(self) -> str:
        return self.event.role

    @strawberry.field(description="What was done (the mutation or job step).")
    def operation(self) -> str:
        return self.event.operation

    @strawberry.field(description="The card concerned, if any.")
    def card_name(self) -> str | None:
        return self.event.card_name

    @strawberry.field(description="The version concerned, if any.")
    def version(self) -> int | None:
        return self.event.version

    @strawberry.field(description="Content SHA-256 before the change.")
    def before_sha256(self) -> str | None:
        return self.event.before_sha256

    @strawberry.field(description="Content SHA-256 after the change.")
    def after_sha256(self) -> str | None:
        return self.event.after_sha256

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.event.at

    @strawberry.field(description="The request it came from (X-Request-Id).")
    def request_id(self) -> str | None:
        return self.event.request_id

    @strawberry.field(description="Operation-specific details (statuses, job, key).")
    def details(self) -> JSON:
        return cast("JSON", self.event.details)

    @strawberry.field(description="Position in its chain (per card; one chain for the rest).")
    def sequence(self) -> int:
        return self.event.sequence

    @strawberry.field(description="SHA-256 chaining this event to the previous one.")
    def event_sha256(self) -> str:
        return self.event.event_sha256


@strawberry.type(name="Verification", description="A card's history re-hashed from storage.")
class VerificationType:
    """Result of verifyCard."""

    result: strawberry.Private[Verification]
    audit_events_checked: int = strawberry.field(description="Audit events re-hashed.")
    first_invalid_audit_event: int | None = strawberry.field(
        description="Sequence of the first audit event that does not match, if any."
    )

    @strawberry.field(description="Whether every version and audit event matched.")
    def valid(self) -> bool:
        return self.result.valid and self.first_invalid_audit_event is None

    @strawberry.field(description="The card.")
    def card_name(self) -> str:
        return self.result.card_name

    @strawberry.field(description="Versions re-hashed (up to the first invalid one).")
    def versions_checked(self) -> int:
        return self.result.versions_checked

    @strawberry.field(description="The first version that does not match, if any.")
    def first_invalid_version(self) -> int | None:
        return self.result.first_invalid_version

    @strawberry.field(description="Why that version does not match.")
    def reason(self) -> str | None:
        return self.result.reason

    @strawberry.field(description="The recomputed head chain hash (when all versions match).")
    def chain_sha256(self) -> str | None:
        return self.result.chain_sha256
