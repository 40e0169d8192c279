"""Audit events and their chain hash (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cardgraph.clock import utc_now_ms
from cardgraph.hashing import GENESIS_SHA256, sha256_hex
from cardgraph.principals import Principal

SYSTEM_CHAIN = "-"  # events not about one card (API keys, jobs without a card)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One recorded action; `event_sha256` chains it to the previous event of its chain."""

    chain: str
    sequence: int
    at: datetime
    actor: str
    role: str
    operation: str
    card_name: str | None
    version: int | None
    before_sha256: str | None
    after_sha256: str | None
    request_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
    previous_sha256: str = GENESIS_SHA256
    event_sha256: str = ""


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the previous event's hash and every recorded field of this one."""
    body = {
        "chain": event.chain,
        "sequence": event.sequence,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "role": event.role,
        "operation": event.operation,
        "card": event.card_name,
        "version": event.version,
        "before": event.before_sha256,
        "after": event.after_sha256,
        "request": event.request_id,
        "details": event.details,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_hex(event.previous_sha256 + text)


def audit_event(
    actor: Principal,
    operation: str,
    request_id: str | None,
    *,
    card_name: str | None = None,
    version: int | None = None,
    before: str | None = None,
    after: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event to append: `card_name` names its chain (the system chain without one)."""
    return AuditEvent(
        chain=card_name or SYSTEM_CHAIN,
        sequence=0,
        at=utc_now_ms(),
        actor=actor.actor,
        role=actor.role.name,
        operation=operation,
        card_name=card_name,
        version=version,
        before_sha256=before,
        after_sha256=after,
        request_id=request_id,
        details=details or {},
    )
