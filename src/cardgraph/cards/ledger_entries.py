"""New versions and status changes with their ledger hashes (pure)."""

from __future__ import annotations

from datetime import datetime

from cardgraph.cards.models import CardStatus, CardVersion, StatusChange, VersionSource
from cardgraph.hashing import sha256_hex
from cardgraph.ledger.records import LEDGER_SCHEME, status_sha256, version_sha256


def chained_version(
    card_id: str,
    name: str,
    number: int,
    content_json: str,
    status: CardStatus,
    previous_chain: str | None,
    actor: str,
    now: datetime,
    source: VersionSource,
    job_id: str | None = None,
) -> CardVersion:
    """A version of canonical `content_json` chained after `previous_chain` (None for
    version 1); its first status entry carries the version's own chain hash."""
    content_sha = sha256_hex(content_json)
    chain = version_sha256(
        card_id=card_id,
        number=number,
        previous_chain_sha256=previous_chain,
        content_sha256=content_sha,
        created_at=now,
        created_by=actor,
        source=source.value,
        job_id=job_id,
        status=status.value,
    )
    return CardVersion(
        card_id=card_id,
        card_name=name,
        number=number,
        status=status,
        content_json=content_json,
        content_sha256=content_sha,
        chain_sha256=chain,
        previous_chain_sha256=previous_chain,
        created_at=now,
        created_by=actor,
        source=source,
        status_history=(StatusChange(None, status, actor, now, chain),),
        job_id=job_id,
        scheme=LEDGER_SCHEME,
    )


def status_head(version: CardVersion) -> str:
    """The hash the version's next status change is chained after."""
    return version.status_history[-1].sha256 if version.status_history else version.chain_sha256


def chained_status_change(
    version: CardVersion, to_status: CardStatus, actor: str, now: datetime
) -> StatusChange:
    """The change of `version` to `to_status`, chained after its last status change and bound
    to its content hash."""
    sha = status_sha256(
        card_id=version.card_id,
        number=version.number,
        content_sha256=version.content_sha256,
        previous_sha256=status_head(version),
        from_status=version.status.value,
        to_status=to_status.value,
        changed_by=actor,
        changed_at=now,
    )
    return StatusChange(version.status, to_status, actor, now, sha)
