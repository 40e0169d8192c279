"""Audit events and their chain hash (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cardgraph.clock import utc_now_ms
from cardgraph.hashing import GENESIS_SHA256, plain_json, record_sha256, sha256_hex
from cardgraph.principals import Principal

EVENT_SCHEME = 2
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
    # 2: hashed as RFC 8785 JSON; 1: events written before the ledger scheme.
    scheme: int = 2


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the previous event's hash and every recorded field of this one: of their
    RFC 8785 JSON (events of scheme 1: of the previous hash and Python's sorted JSON)."""
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
    if event.scheme < EVENT_SCHEME:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return sha256_hex(event.previous_sha256 + text)
    # The body as JSON values (what an exported bundle holds: a value JSON cannot hold, such
    # as a time in the details, as its text), with the link and the scheme inside: anyone
    # recomputes it with an RFC 8785 library.
    details = event.details
    if not plain_json(details):  # a time, a float: through JSON text, as a bundle holds it
        details = json.loads(json.dumps(details, default=str))
    body["details"] = details
    return record_sha256({**body, "previous": event.previous_sha256, "scheme": event.scheme})


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
