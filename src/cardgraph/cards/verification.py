"""verifyCard: a card's history as stored, fed through the ledger check an auditor runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cardgraph.audit.models import AuditEvent
from cardgraph.audit.service import AuditLog
from cardgraph.cards.checkpoints import CardCheckpoints
from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.provenance_check import ProvenanceCheck, origins
from cardgraph.cards.repository import CardRepository
from cardgraph.hashing import sha256_hex
from cardgraph.ledger.check import LedgerCheck, LedgerResult
from cardgraph.ledger.facts import Finding, StatusFacts, VersionFacts
from cardgraph.ledger.signing import Checkpoint
from cardgraph.storage.mongo import Document

BATCH = 500
CONSISTENT_READ_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of verifying a card's history."""

    card_name: str
    result: LedgerResult
    # The card's signed head as stored, when it is well-formed.
    checkpoint: Checkpoint | None

    @property
    def valid(self) -> bool:
        """Whether every record matched."""
        return self.result.valid

    @property
    def first_finding(self) -> Finding | None:
        """The first bad record."""
        return self.result.findings[0] if self.result.findings else None


def version_facts(version: CardVersion) -> VersionFacts:
    """A stored version as the ledger check takes it (its content hash recomputed)."""
    return VersionFacts(
        number=version.number,
        content_sha256=version.content_sha256,
        computed_content_sha256=sha256_hex(version.content_json),
        chain_sha256=version.chain_sha256,
        previous_chain_sha256=version.previous_chain_sha256,
        created_at=version.created_at,
        created_by=version.created_by,
        source=version.source.value,
        job_id=version.job_id,
        status=version.status.value,
        status_history=tuple(
            StatusFacts(
                from_status=c.from_status.value if c.from_status else None,
                to_status=c.to_status.value,
                changed_by=c.changed_by,
                changed_at=c.changed_at,
                sha256=c.sha256,
                migrated=c.migrated,
            )
            for c in version.status_history
        ),
        scheme=version.scheme,
        origins=origins(version),
    )


def _add_versions(
    check: LedgerCheck,
    provenance: ProvenanceCheck,
    found: list[Finding],
    versions: list[CardVersion],
) -> None:
    for version in versions:
        check.add_version(version_facts(version))
        found += provenance.add(version)


async def _check_versions(
    repository: CardRepository, card: Card, check: LedgerCheck, found: list[Finding]
) -> None:
    """Every version, in order, into `check` (the two touch separate parts of it), and the
    findings about their provenance into `found`."""
    provenance = ProvenanceCheck()
    batch = await repository.list_versions(card, None, BATCH)
    while True:
        following = None
        if len(batch) == BATCH:
            following = asyncio.ensure_future(
                repository.list_versions(card, batch[-1].number, BATCH)
            )
        try:
            # Re-hashing is pure Python (~10 µs a record): in a thread, so that a long
            # history does not hold the event loop (the interpreter hands it the GIL every
            # 5 ms).
            await asyncio.to_thread(_add_versions, check, provenance, found, batch)
        except BaseException:
            if following is not None:
                following.cancel()
            raise
        if following is None:
            return
        batch = await following


async def _check_events(audit: AuditLog, card: Card, check: LedgerCheck) -> None:
    """The card's audit chain, in order, into `check`."""
    events: list[AuditEvent] = []
    pending: asyncio.Future[None] | None = None
    async for event in audit.chain(card.name):
        events.append(event)
        if len(events) == BATCH:
            if pending is not None:
                await pending  # batches go in in order
            pending = asyncio.ensure_future(asyncio.to_thread(check.add_events, events))
            events = []
    if pending is not None:
        await pending
    await asyncio.to_thread(check.add_events, events)


async def verify_card(
    repository: CardRepository,
    audit: AuditLog,
    checkpoints: CardCheckpoints,
    card: Card,
    given: Checkpoint | None = None,
) -> Verification:
    """Walk every version in order and the card's audit chain; compare them with each other,
    with the card's summary, with its stored checkpoint and with `given` (one a caller kept).

    A write during the walk would make the history and its checkpoint disagree: the walk is
    repeated (a few times at most) until the checkpoint is the same before and after it."""
    for _ in range(CONSISTENT_READ_ATTEMPTS - 1):
        before = await repository.stored_checkpoint(card.id)
        verification = await _verify_once(repository, audit, checkpoints, card, given, before)
        if await repository.stored_checkpoint(card.id) == before:
            return verification
        card = await repository.find_card(card.name) or card
    before = await repository.stored_checkpoint(card.id)
    return await _verify_once(repository, audit, checkpoints, card, given, before)


async def _verify_once(
    repository: CardRepository,
    audit: AuditLog,
    checkpoints: CardCheckpoints,
    card: Card,
    given: Checkpoint | None,
    raw: Document | None,
) -> Verification:
    check = LedgerCheck(card.id, card.name)
    provenance: list[Finding] = []
    # Versions and events are read and checked side by side, each reading its next batch
    # while the last one is checked: the database works while this process hashes.
    await asyncio.gather(
        _check_versions(repository, card, check, provenance), _check_events(audit, card, check)
    )
    head: tuple[str, Checkpoint] | None = None
    stored: Checkpoint | None = None
    if raw is None:
        check.note(
            "the card's checkpoint",
            "is missing: it was deleted, or the card's last write stopped before signing",
        )
    else:
        try:
            stored = Checkpoint.from_json(raw)
        except ValueError as error:
            check.note("the card's checkpoint", f"is malformed: {error}")
        else:
            head = ("the card's checkpoint", stored)
    result = check.finish(
        summary=(card.latest_version, card.status.value),
        head=head,
        kept=[("the given checkpoint", given)] if given is not None else [],
        keys=checkpoints.verifying_keys,
        also=provenance,
    )
    return Verification(card.name, result, stored)
