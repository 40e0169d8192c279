"""A card's whole history as one JSON document an auditor verifies offline
(`cardgraph verify`): its versions with their content, its audit chain, its signed checkpoint
and the public key, in the shape `cardgraph.ledger.bundle` reads."""

from __future__ import annotations

from typing import Any

from cardgraph.audit.models import AuditEvent
from cardgraph.audit.service import AuditLog
from cardgraph.cards.checkpoints import CardCheckpoints
from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.repository import CardRepository
from cardgraph.ledger.bundle import BUNDLE_FORMAT
from cardgraph.ledger.signing import ALGORITHM

BATCH = 500
CONSISTENT_READ_ATTEMPTS = 3


def version_entry(version: CardVersion) -> dict[str, Any]:
    """A version as a bundle holds it (its content as a JSON object, not as text)."""
    return {
        "number": version.number,
        "status": version.status.value,
        "content": version.content,
        "contentSha256": version.content_sha256,
        "chainSha256": version.chain_sha256,
        "previousSha256": version.previous_chain_sha256,
        "createdAt": version.created_at.isoformat(),
        "createdBy": version.created_by,
        "source": version.source.value,
        "jobId": version.job_id,
        "scheme": version.scheme,
        "statusHistory": [
            {
                "from": c.from_status.value if c.from_status else None,
                "to": c.to_status.value,
                "by": c.changed_by,
                "at": c.changed_at.isoformat(),
                "sha256": c.sha256,
                **({"migrated": True} if c.migrated else {}),
            }
            for c in version.status_history
        ],
        # Only as recorded (none for a version written before provenance was kept).
        "provenance": [
            {
                "section": p.section,
                "setInVersion": p.version,
                "source": p.source.value,
                "by": p.actor,
                "at": p.at.isoformat(),
                "jobId": p.job_id,
                "details": dict(p.details),
                "recorded": p.recorded,
            }
            for p in version.provenance
        ],
    }


def event_entry(event: AuditEvent) -> dict[str, Any]:
    """An audit event as a bundle holds it (`at` exactly as it was hashed)."""
    return {
        "chain": event.chain,
        "sequence": event.sequence,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "role": event.role,
        "operation": event.operation,
        "cardName": event.card_name,
        "version": event.version,
        "beforeSha256": event.before_sha256,
        "afterSha256": event.after_sha256,
        "requestId": event.request_id,
        "details": event.details,
        "previousSha256": event.previous_sha256,
        "eventSha256": event.event_sha256,
        "scheme": event.scheme,
    }


async def history_bundle(
    repository: CardRepository, audit: AuditLog, checkpoints: CardCheckpoints, card: Card
) -> dict[str, Any]:
    """Every version and audit event of `card`, its stored checkpoint and the public key; read
    again (a few times at most) if a write moved the checkpoint on meanwhile."""
    for _ in range(CONSISTENT_READ_ATTEMPTS):
        before = await checkpoints.stored(card)
        versions, events = await _history(repository, audit, card)
        checkpoint = await checkpoints.stored(card)
        if checkpoint == before:
            break
    key = checkpoints.public_key
    return {
        "format": BUNDLE_FORMAT,
        "card": {"id": card.id, "name": card.name, "arn": card.arn},
        "versions": versions,
        "events": events,
        "checkpoint": checkpoint.to_json() if checkpoint else None,
        "publicKey": {"algorithm": ALGORITHM, "keyId": key.key_id, "publicKey": key.base64},
    }


async def _history(
    repository: CardRepository, audit: AuditLog, card: Card
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    versions: list[dict[str, Any]] = []
    after = None
    while True:
        batch = await repository.list_versions(card, after, BATCH)
        versions += [version_entry(v) for v in batch]
        if len(batch) < BATCH:
            break
        after = batch[-1].number
    return versions, [event_entry(e) async for e in audit.chain(card.name)]
