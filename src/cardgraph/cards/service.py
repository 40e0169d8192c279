"""Card use cases: create, change content or status, delete, read — SageMaker's versioning rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cardgraph.audit import context as audit_context
from cardgraph.audit.service import AuditLog
from cardgraph.caching.freshness import Freshness
from cardgraph.cards.as_of_reads import AsOfReads
from cardgraph.cards.card_reads import CardKey, CardReads
from cardgraph.cards.checkpoints import CardCheckpoints, Publisher
from cardgraph.cards.content import model_package_group_of, risk_rating_of
from cardgraph.cards.content_changes import ContentChange
from cardgraph.cards.content_check import checked_content
from cardgraph.cards.content_writer import ContentWriter
from cardgraph.cards.field_diff import VersionDiff
from cardgraph.cards.history_bundle import history_bundle
from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import (
    Card,
    CardFilter,
    CardSort,
    CardStatus,
    CardVersion,
    Origin,
    VersionSource,
    check_approval_policy,
    check_card_name,
    check_kms_key_id,
)
from cardgraph.cards.provenance import origin_details, with_provenance
from cardgraph.cards.repository import CardRepository
from cardgraph.cards.staleness import CardStaleness
from cardgraph.cards.status_writer import StatusWriter
from cardgraph.cards.verification import Verification, verify_card
from cardgraph.clock import utc_now_ms
from cardgraph.errors import BadRequestError, ConflictError, NotFoundError
from cardgraph.events.models import CardEvent, CardEventKind
from cardgraph.events.publisher import EventPublisher
from cardgraph.hashing import sha256_hex
from cardgraph.ledger.signing import Checkpoint, PublicKey, SigningKey
from cardgraph.pagination import CursorKind, Page, PageRequest
from cardgraph.principals import Principal, Role
from cardgraph.storage.ordered_writes import OrderedWrites


class CardService:
    """The card rules of design §3; every write names the acting principal."""

    def __init__(
        self,
        repository: CardRepository,
        *,
        arn_prefix: str,
        audit: AuditLog,
        events: EventPublisher | None = None,
        freshness: Freshness,
        signing_key: SigningKey,
        publish_checkpoint: Publisher | None = None,
        retired_keys: tuple[PublicKey, ...] = (),
        writes: OrderedWrites | None = None,
        high_risk_policy: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._high_risk_policy = high_risk_policy
        self._events = events or EventPublisher(None)
        self._arn_prefix = arn_prefix
        self._clock = clock or utc_now_ms
        # Cached reads and the cache upkeep after a write; read-only callers may use it directly.
        self.reads = CardReads(repository, freshness)
        # Cards and versions as they stood at a past instant.
        self.as_of = AsOfReads(repository.as_of, self.reads)
        # Every write ends by signing the card's new head.
        self.checkpoints = CardCheckpoints(
            repository, audit, signing_key, self._clock, publish_checkpoint, retired_keys
        )
        # Content changes go through the group-commit writer; status changes share its lock.
        self._writer = ContentWriter(
            repository,
            self.reads,
            audit=audit,
            events=self._events,
            checkpoints=self.checkpoints,
            writes=writes,
            clock=self._clock,
        )
        # Cards whose linked model package changed after their approval.
        self.staleness = CardStaleness(
            repository,
            self.reads,
            self.as_of,
            audit=audit,
            events=self._events,
            clock=self._clock,
        )
        self._statuses = StatusWriter(
            repository,
            self.reads,
            self._writer,
            audit=audit,
            checkpoints=self.checkpoints,
            high_risk_policy=high_risk_policy,
            clock=self._clock,
        )

    async def create_card(
        self,
        name: str,
        content: Any,
        actor: Principal,
        status: CardStatus = CardStatus.DRAFT,
        source: VersionSource = VersionSource.MANUAL,
        kms_key_id: str | None = None,
        origin: Origin | None = None,
    ) -> CardVersion:
        """Create a card with version 1 (with a KMS key, its exports are encrypted with it);
        `origin` says what a job read to write it (see `cards.provenance`)."""
        actor.require(Role.EDITOR, "creating cards")
        _require_approver_for(status, actor)
        check_card_name(name)
        check_kms_key_id(kms_key_id)
        normalised, content_json = await checked_content(content)
        if status is CardStatus.APPROVED and self._high_risk_policy:
            check_approval_policy(normalised)
        now = self._clock()
        card_id = uuid.uuid4().hex
        version = chained_version(
            card_id, name, 1, content_json, status, None, actor.actor, now, source
        )
        version = with_provenance(version, None, normalised, origin or {})
        # The version goes in first under a fresh card id; the card document (unique live
        # name) then makes it visible, so a lost race or a crash never shows half a card.
        await self._repository.insert_versions([version])
        card = Card(
            id=card_id,
            name=name,
            arn=f"{self._arn_prefix}{name}",
            created_at=now,
            created_by=actor.actor,
            updated_at=now,
            latest_version=1,
            status=status,
            risk_rating=risk_rating_of(normalised),
            model_package_group=model_package_group_of(normalised),
            kms_key_id=kms_key_id,
        )
        ticket = self.reads.ticket()
        if not await self._repository.insert_card(card):
            await self._repository.delete_version(card_id, 1)
            raise ConflictError(f"a card named {name!r} already exists")
        self.reads.remember(card, version, ticket)
        await self._audit.record(
            actor,
            "createCard",
            card_name=name,
            version=1,
            after=version.content_sha256,
            details={
                "status": status.value,
                "source": source.value,
                "cardId": card_id,
                "chainSha256": version.chain_sha256,
                **({"origin": origin_details(origin)} if origin else {}),
            },
        )
        await self.checkpoints.sign_head(card)
        await self._writer.announce(
            CardEventKind.VERSION_CREATED, version, sections=tuple(sorted(normalised))
        )
        return version

    async def update_content(
        self,
        name: str,
        content: Any,
        actor: Principal,
        expected_version: int | None = None,
        source: VersionSource = VersionSource.MANUAL,
        job_id: str | None = None,
        origin: Origin | None = None,
    ) -> CardVersion:
        """Make version N+1 with new content (DRAFT); identical content returns version N.
        `origin` says what a job read, per section (see `cards.provenance`)."""
        actor.require(Role.EDITOR, "changing card content")
        normalised, content_json = await checked_content(content)
        change = ContentChange(
            content=normalised,
            content_json=content_json,
            content_sha256=sha256_hex(content_json),
            actor=actor,
            expected_version=expected_version,
            source=source,
            job_id=job_id,
            request_id=audit_context.request_id.get(),
            origin=origin or {},
        )
        return await self._writer.write(name, change)

    async def set_status(self, name: str, status: CardStatus, actor: Principal) -> CardVersion:
        """Change the latest version's status in place; no new version is made."""
        actor.require(Role.EDITOR, "changing card status")
        _require_approver_for(status, actor)
        written = await self._statuses.write(name, status, actor)
        if status is CardStatus.APPROVED:
            await self.staleness.approved(name)
        return written

    async def update_card(
        self,
        name: str,
        actor: Principal,
        content: Any = None,
        status: CardStatus | None = None,
        expected_version: int | None = None,
    ) -> CardVersion:
        """SageMaker's UpdateModelCard: content or status, never both in one call."""
        if content is not None and status is not None:
            raise BadRequestError("content and status cannot change in the same call")
        if content is not None:
            return await self.update_content(name, content, actor, expected_version)
        if status is not None:
            return await self.set_status(name, status, actor)
        raise BadRequestError("nothing to change: give content or status")

    async def delete_card(self, name: str, actor: Principal) -> bool:
        """Delete a card (admins only); its name becomes free, its history is kept."""
        actor.require(Role.ADMIN, "deleting cards")
        card = await self.require_card(name)
        ticket = self.reads.ticket()
        deleted = await self._repository.mark_deleted(card, self._clock(), actor.actor)
        self.reads.forget(name, ticket)
        if deleted:
            await self._audit.record(
                actor, "deleteCard", card_name=name, details={"cardId": card.id, "arn": card.arn}
            )
            await self._events.card_changed(
                CardEvent(
                    kind=CardEventKind.CARD_DELETED,
                    card_name=name,
                    version=card.latest_version,
                    status=card.status.value,
                    at=self._clock(),
                    actor=actor.actor,
                )
            )
        return deleted

    async def verify(self, name: str, given: Checkpoint | None = None) -> Verification:
        """Check a card's whole history as stored: versions, status changes, audit events,
        its signed head, and `given` (a checkpoint the caller kept) if any."""
        await self.require_card(name)  # NOT_FOUND as any read says it
        # The summary as stored, not as cached: it is one of the things checked.
        card = await self._repository.find_card(name)
        if card is None:
            raise NotFoundError(f"card {name!r} not found")
        return await verify_card(self._repository, self._audit, self.checkpoints, card, given)

    async def history_bundle(self, card: Card) -> dict[str, Any]:
        """The card's whole history for offline verification (`cardgraph verify`)."""
        return await history_bundle(self._repository, self._audit, self.checkpoints, card)

    async def checkpoint(self, card: Card) -> Checkpoint | None:
        """The card's signed head as stored."""
        return await self.checkpoints.stored(card)

    # Reads, for the callers that hold only this service.

    async def find_card(self, name: str) -> Card | None:
        """The live card called `name`, if any (from memory while change events are heard)."""
        return await self.reads.find_card(name)

    async def require_card(self, name: str) -> Card:
        """The live card called `name`, or NOT_FOUND."""
        return await self.reads.require_card(name)

    async def latest_version(self, card: Card) -> CardVersion:
        """The card's latest version, as of the card summary just read (cached per revision)."""
        return await self.reads.latest_version(card)

    def cached_latest_version(self, card: Card) -> CardVersion | None:
        """The card's latest version if this process holds it (no I/O at all)."""
        return self.reads.cached_latest_version(card)

    async def latest_versions(self, cards: list[Card]) -> list[CardVersion]:
        """The latest version of each card, with one query for all that are not cached."""
        return await self.reads.latest_versions(cards)

    async def version(self, card: Card, number: int) -> CardVersion | None:
        """One version of the card, if it exists (cached per card revision)."""
        return await self.reads.version(card, number)

    async def version_diff(self, name: str, from_number: int, to_number: int) -> VersionDiff:
        """Every field that changed from version `from_number` to `to_number` (either order)."""
        return await self.reads.version_diff(await self.require_card(name), from_number, to_number)

    async def versions(
        self, card: Card, request: PageRequest[tuple[int]]
    ) -> Page[CardVersion, tuple[int]]:
        """A page of the card's versions, oldest first."""
        return await self.reads.versions(card, request)

    @staticmethod
    def cursor_kind(sort: CardSort) -> CursorKind[CardKey]:
        """The list a card cursor belongs to: one per sort field (either direction)."""
        return CardReads.cursor_kind(sort)

    async def cards(
        self, card_filter: CardFilter, sort: CardSort, request: PageRequest[CardKey]
    ) -> Page[Card, CardKey]:
        """A page of live cards matching the filter, in the requested order."""
        return await self.reads.cards(card_filter, sort, request)


def _require_approver_for(status: CardStatus, actor: Principal) -> None:
    if status is CardStatus.APPROVED:
        actor.require(Role.APPROVER, "approving cards")
