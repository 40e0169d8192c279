"""The records a card's history is hashed over (pure).

A version's chain hash covers every fact the API shows about its creation — card, number,
the previous version's chain hash, the content hash, who, when, source, job and first status —
so a version cannot be rewritten without changing every chain hash after it. Each later status
change is a record chained after the version (or the change before it) and bound to the content
hash it applies to: an approval names exactly the content it approves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cardgraph.hashing import GENESIS_SHA256, record_sha256

# Stored on every version written under these rules; versions without it predate them.
LEDGER_SCHEME = 2


def instant(at: datetime) -> str:
    """A stored time as hashed: UTC, milliseconds, `Z` (what MongoDB keeps round-trips)."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def version_record(
    *,
    card_id: str,
    number: int,
    previous_chain_sha256: str | None,
    content_sha256: str,
    created_at: datetime,
    created_by: str,
    source: str,
    job_id: str | None,
    status: str,
) -> dict[str, Any]:
    """The record a version's `chainSha256` is the hash of."""
    return {
        "kind": "version",
        "card": card_id,
        "number": number,
        "previous": previous_chain_sha256 or GENESIS_SHA256,
        "contentSha256": content_sha256,
        "createdAt": instant(created_at),
        "createdBy": created_by,
        "source": source,
        "job": job_id,
        "status": status,
    }


def status_record(
    *,
    card_id: str,
    number: int,
    content_sha256: str,
    previous_sha256: str,
    from_status: str | None,
    to_status: str,
    changed_by: str,
    changed_at: datetime,
) -> dict[str, Any]:
    """The record a status change's hash is taken over, chained after `previous_sha256`
    (the version's chain hash, or the status change before it)."""
    return {
        "kind": "status",
        "card": card_id,
        "number": number,
        "contentSha256": content_sha256,
        "previous": previous_sha256,
        "from": from_status,
        "to": to_status,
        "by": changed_by,
        "at": instant(changed_at),
    }


def version_sha256(**fields: Any) -> str:
    """The chain hash of a version (the arguments of `version_record`)."""
    return record_sha256(version_record(**fields))


def status_sha256(**fields: Any) -> str:
    """The hash of a status change (the arguments of `status_record`)."""
    return record_sha256(status_record(**fields))
