"""Card use cases: create, change content or status, delete, read — SageMaker's versioning rules."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cardgraph.access.models import Principal, Role
from cardgraph.audit import context as audit_context
from cardgraph.audit.service import AuditLog
from cardgraph.cards.content import (
    model_package_group_of,
    risk_rating_of,
    sha256_hex,
)
from cardgraph.cards.content_changes import (
    ContentChange,
    ContentOutcome,
    new_version,
    plan_content,
    split_at_refused_insert,
)
from cardgraph.cards.content_check import checked_content
from cardgraph.cards.models import (
    Card,
    CardFilter,
    CardSort,
    CardSortField,
    CardStatus,
    CardVersion,
    StatusChange,
    VersionSource,
    check_approval_policy,
    check_card_name,
    check_kms_key_id,
    check_transition,
)
from cardgraph.cards.repository import CardRepository, SummaryChange, summary_change
from cardgraph.cards.verification import Verification, verify_versions
from cardgraph.cards.write_queue import Pending, WriteQueue
from cardgraph.clock import utc_now_ms
from cardgraph.errors import BadRequestError, ConflictError, NotFoundError
from cardgraph.events.freshness import FreshCache, Freshness, Topic
from cardgraph.events.models import CardEvent, CardEventKind
from cardgraph.events.publisher import EventPublisher
from cardgraph.lru import LruCache
from cardgraph.pagination import (
    CARDS_BY_CREATED,
    CARDS_BY_NAME,
    CARDS_BY_UPDATED,
    CursorKind,
    Page,
    PageRequest,
    page_of,
)
from cardgraph.shared_reads import SharedReads
from cardgraph.storage.ordered_writes import OrderedWrites

# Writers without expectedVersion retry a lost race; this bounds pathological contention.
MAX_WRITE_ATTEMPTS = 200
CACHED_CARDS = 10_000
CACHED_VERSIONS = 4096
CACHED_PAGES = 256
# A card list's sort key: the sort field's value (a name or a datetime), then the card id.
CardKey = tuple[Any, str]
CARD_CURSOR_KINDS: dict[CardSortField, CursorKind[CardKey]] = {
    CardSortField.NAME: CARDS_BY_NAME,
    CardSortField.CREATED: CARDS_BY_CREATED,
    CardSortField.UPDATED: CARDS_BY_UPDATED,
}


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
        writes: OrderedWrites | None = None,
        high_risk_policy: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._repository = repository
        # A content write's versions, summary and audit events in one round trip, if given.
        self._writes = writes
        self._audit = audit
        self._high_risk_policy = high_risk_policy
        # Card summaries (the latest pointer, status, revision) are served from memory only
        # while this process hears every card event; any change anywhere evicts them.
        self._cards: FreshCache[Card] = FreshCache(freshness, Topic.CARD, CACHED_CARDS)
        # Dashboards poll the same pages; any card change anywhere empties these.
        self._card_pages: FreshCache[list[Card]] = FreshCache(
            freshness, Topic.CARD_LIST, CACHED_PAGES
        )
        self._card_counts: FreshCache[int] = FreshCache(freshness, Topic.CARD_LIST, CACHED_PAGES)
        # Versions never change but for their status, and any change of a card's content or
        # status bumps the card's revision: a version read under one revision stays true for
        # every reader holding that revision, in any process.
        self._versions: LruCache[tuple[str, int, int], CardVersion] = LruCache(CACHED_VERSIONS)
        # Readers of a version nobody holds yet (a new revision) share one read of it.
        self._latest_reads: SharedReads[tuple[str, int, int], CardVersion] = SharedReads()
        self._version_reads: SharedReads[tuple[str, int, int], CardVersion | None] = SharedReads()
        # Held only while a write is under way: idle cards cost nothing.
        self._writers: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # Same-card content changes that queue up while one is written go in together.
        self._content_writes: WriteQueue[ContentChange, CardVersion] = WriteQueue(
            self._write_contents
        )
        self._events = events or EventPublisher(None)
        self._arn_prefix = arn_prefix
        self._clock = clock or utc_now_ms

    async def create_card(
        self,
        name: str,
        content: Any,
        actor: Principal,
        status: CardStatus = CardStatus.DRAFT,
        source: VersionSource = VersionSource.MANUAL,
        kms_key_id: str | None = None,
    ) -> CardVersion:
        """Create a card with version 1 (with a KMS key, its exports are encrypted with it)."""
        actor.require(Role.EDITOR, "creating cards")
        _require_approver_for(status, actor)
        check_card_name(name)
        check_kms_key_id(kms_key_id)
        normalised, content_json = await checked_content(content)
        if status is CardStatus.APPROVED and self._high_risk_policy:
            check_approval_policy(normalised)
        now = self._clock()
        card_id = uuid.uuid4().hex
        version = new_version(card_id, name, 1, content_json, status, None, actor, now, source)
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
        ticket = self._cards.ticket()
        if not await self._repository.insert_card(card):
            await self._repository.delete_version(card_id, 1)
            raise ConflictError(f"a card named {name!r} already exists")
        self._remember(card, version, ticket)
        await self._audit.record(
            actor,
            "createCard",
            card_name=name,
            version=1,
            after=version.content_sha256,
            details={"status": status.value, "source": source.value},
        )
        await self._announce(CardEventKind.VERSION_CREATED, version)
        return version

    async def update_content(
        self,
        name: str,
        content: Any,
        actor: Principal,
        expected_version: int | None = None,
        source: VersionSource = VersionSource.MANUAL,
        job_id: str | None = None,
    ) -> CardVersion:
        """Make version N+1 with new content (DRAFT); identical content returns version N."""
        actor.require(Role.EDITOR, "changing card content")
        _, content_json = await checked_content(content)
        change = ContentChange(
            content_json=content_json,
            content_sha256=sha256_hex(content_json),
            actor=actor,
            expected_version=expected_version,
            source=source,
            job_id=job_id,
            request_id=audit_context.request_id.get(),
        )
        return await self._content_writes.submit(name, change)

    async def _write_contents(
        self, name: str, batch: list[Pending[ContentChange, CardVersion]]
    ) -> None:
        """Write the content changes queued for one card, in order, as if one by one: every
        new version in one insert, then the summary, then every audit event in one insert."""
        async with self._writer_lock(name):
            # The first attempt trusts the cached latest version: if another process got there
            # first, the unique (card, number) index refuses our insert and we re-read the truth.
            from_database = False
            for _ in range(MAX_WRITE_ATTEMPTS):
                card = await self.require_card(name)
                if from_database:
                    latest = await self._current_version(card)
                else:
                    latest = await self.latest_version(card)
                outcomes = await self._plan_contents(card, latest, batch, from_database)
                if outcomes is None:  # an expectedVersion disagrees with the cache
                    from_database = True
                    continue
                inserted, finished = await self._commit_contents(card, outcomes)
                done, batch = split_at_refused_insert(name, outcomes, inserted)
                if finished:
                    await self._answer_contents(done)
                else:
                    await self._finish_contents(card, done)
                if not batch:
                    return
                if from_database:
                    await asyncio.sleep(random.uniform(0, 0.005))  # noqa: S311 - jitter
                from_database = True
        raise ConflictError(f"card {name!r} is changing too fast; try again")

    async def _plan_contents(
        self,
        card: Card,
        latest: CardVersion,
        batch: list[Pending[ContentChange, CardVersion]],
        from_database: bool,
    ) -> list[ContentOutcome] | None:
        """What each change does after the ones before it; None when the first one's
        expectedVersion disagrees with a latest version that came from the cache."""
        outcomes: list[ContentOutcome] = []
        for pending in batch:
            change = pending.request
            if change.job_id is not None:
                done = await self._repository.version_of_job(card, change.job_id)
                if done is not None:  # a redelivered job: its version exists already
                    outcomes.append(ContentOutcome(pending, done))
                    continue
            stale = change.expected_version not in (None, latest.number)
            if stale and not from_database and not any(o.created for o in outcomes):
                return None
            outcome = plan_content(card.id, card.name, latest, pending, self._clock())
            if outcome.created:
                latest = outcome.version
            outcomes.append(outcome)
        return outcomes

    async def _commit_contents(
        self, card: Card, outcomes: list[ContentOutcome]
    ) -> tuple[int, bool]:
        """Insert the new versions: how many went in, and whether the summary and the audit
        events went with them. On MongoDB 8.0+ all of it is one ordered bulkWrite, which a
        refused version stops before the summary; older servers get one insert here."""
        created = [o.version for o in outcomes if o.created]
        if not created:
            return 0, False
        if self._writes is None or not await self._writes.supported():
            return await self._repository.insert_versions(created), False
        latest = created[-1]
        change = self._summary_change(card, latest)
        events = [o.event for o in outcomes if o.event is not None]
        audit = await self._audit.prepare_all(events)
        ticket = self._cards.ticket()
        written = await self._writes.write(
            [
                *self._repository.version_operations(created),
                self._repository.summary_operation(change),
                *audit.operations,
            ]
        )
        if written.applied < len(created):
            return written.applied, False
        summary_at = len(created)
        summary = await self._repository.summary_settled(
            change, written.modified.get(summary_at, 0)
        )
        self._summary_written(card.name, latest, summary, ticket)
        await self._audit.settle(audit, max(0, written.applied - summary_at - 1))
        return len(created), True

    async def _finish_contents(self, card: Card, done: list[ContentOutcome]) -> None:
        """Point the summary at the last new version, audit, announce, and answer the callers."""
        created = [o for o in done if o.created]
        events = [o.event for o in done if o.event is not None]
        # In turn, though neither depends on the other: the embedded server's threads share
        # one interpreter lock, and a write took 4.2 ms with these two together, 3.4 in turn.
        if created:
            await self._refresh_summary(card, created[-1].version)
        if events:
            await self._audit.record_all(events)
        await self._answer_contents(done)

    async def _answer_contents(self, done: list[ContentOutcome]) -> None:
        """Announce the new versions and answer the callers."""
        await self._events.cards_changed(
            [
                _card_event(CardEventKind.VERSION_CREATED, o.version, o.pending.request.job_id)
                for o in done
                if o.created
            ]
        )
        for outcome in done:
            outcome.pending.resolve(outcome.result)

    async def set_status(self, name: str, status: CardStatus, actor: Principal) -> CardVersion:
        """Change the latest version's status in place; no new version is made."""
        actor.require(Role.EDITOR, "changing card status")
        _require_approver_for(status, actor)
        async with self._writer_lock(name):
            return await self._write_status(name, status, actor)

    async def _write_status(self, name: str, status: CardStatus, actor: Principal) -> CardVersion:
        card = await self.require_card(name)
        for _ in range(MAX_WRITE_ATTEMPTS):
            latest = await self._current_version(card)
            check_transition(latest.status, status)
            if status is CardStatus.APPROVED and self._high_risk_policy:
                check_approval_policy(latest.content)
            change = StatusChange(latest.status, status, actor.actor, self._clock())
            if not await self._repository.record_status(card, latest.number, latest.status, change):
                continue  # another status change won; re-check the workflow against it
            updated = dataclasses.replace(
                latest, status=status, status_history=(*latest.status_history, change)
            )
            # A version created meanwhile is a later event, except that archiving must reach
            # whatever is latest: an archived card accepts no content at all. The change just
            # written to the older version happened all the same: it is audited like any other.
            superseded = False
            if status is CardStatus.ARCHIVED:
                newest = await self._current_version(card)
                superseded = newest.number != latest.number
            if not superseded:
                await self._refresh_summary(card, updated)
            await self._audit.record(
                actor,
                "setCardStatus",
                card_name=name,
                version=updated.number,
                before=updated.content_sha256,
                after=updated.content_sha256,
                details={"from": latest.status.value, "to": status.value},
            )
            await self._announce(CardEventKind.STATUS_CHANGED, updated)
            if superseded:
                continue
            return updated
        raise ConflictError(f"card {name!r} is changing too fast; try again")

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
        ticket = self._cards.ticket()
        deleted = await self._repository.mark_deleted(card, self._clock(), actor.actor)
        self._cards.put_written(name, None, ticket)
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

    async def verify(self, name: str) -> Verification:
        """Re-hash every version of a card from the stored documents."""
        return await verify_versions(self._repository, await self.require_card(name))

    async def find_card(self, name: str) -> Card | None:
        """The live card called `name`, if any (from memory while change events are heard)."""
        return await self._cards.load(name, lambda: self._repository.find_card(name))

    async def require_card(self, name: str) -> Card:
        """The live card called `name`, or NOT_FOUND."""
        card = await self.find_card(name)
        if card is None:
            raise NotFoundError(f"no card named {name!r}")
        return card

    async def latest_version(self, card: Card) -> CardVersion:
        """The card's latest version, as of the card summary just read (cached per revision)."""
        cached = self.cached_latest_version(card)
        if cached is not None:
            return cached
        key = (card.id, card.latest_version, card.revision)
        version = await self._latest_reads.read(key, lambda: self._current_version(card))
        if version.number == card.latest_version:
            self._versions.put(key, version)
        return version

    def _writer_lock(self, name: str) -> asyncio.Lock:
        """One writer per card at a time in this process: same-card writers queue here
        instead of racing for the next version number and retrying (other processes still
        race, and the unique index settles it)."""
        lock = self._writers.get(name)
        if lock is None:
            lock = asyncio.Lock()
            self._writers[name] = lock
        return lock

    def cached_latest_version(self, card: Card) -> CardVersion | None:
        """The card's latest version if this process holds it (no I/O at all)."""
        return self._versions.get((card.id, card.latest_version, card.revision))

    async def latest_versions(self, cards: list[Card]) -> list[CardVersion]:
        """The latest version of each card, with one query for all that are not cached."""
        results = [self.cached_latest_version(card) for card in cards]
        missing = [i for i, found in enumerate(results) if found is None]
        if missing:
            fetched = await self._repository.get_versions(
                [(cards[i], cards[i].latest_version) for i in missing]
            )
            for i, version in zip(missing, fetched, strict=True):
                if version is not None:
                    card = cards[i]
                    self._versions.put((card.id, card.latest_version, card.revision), version)
                results[i] = version
        # A pointer naming no version (a write in flight) takes the careful path, one by one.
        return [
            found if found is not None else await self.latest_version(card)
            for card, found in zip(cards, results, strict=True)
        ]

    async def _current_version(self, card: Card) -> CardVersion:
        """The latest version straight from the database (writers use this, never a cache)."""
        version = await self._repository.latest_version(card)
        if version is None:  # only a card whose creation is still in flight
            raise NotFoundError(f"card {card.name!r} has no version yet")
        return version

    async def version(self, card: Card, number: int) -> CardVersion | None:
        """One version of the card, if it exists (cached per card revision)."""
        key = (card.id, number, card.revision)
        cached = self._versions.get(key)
        if cached is not None:
            return cached
        version = await self._version_reads.read(
            key, lambda: self._repository.get_version(card, number)
        )
        if version is not None:
            self._versions.put(key, version)
        return version

    async def versions(
        self, card: Card, request: PageRequest[tuple[int]]
    ) -> Page[CardVersion, tuple[int]]:
        """A page of the card's versions, oldest first."""
        after = request.after[0] if request.after is not None else None
        found = await self._repository.list_versions(card, after, request.limit)
        return page_of(
            request, found, lambda v: (v.number,), lambda: self._repository.count_versions(card)
        )

    @staticmethod
    def cursor_kind(sort: CardSort) -> CursorKind[CardKey]:
        """The list a card cursor belongs to: one per sort field (either direction)."""
        return CARD_CURSOR_KINDS[sort.field]

    async def cards(
        self, card_filter: CardFilter, sort: CardSort, request: PageRequest[CardKey]
    ) -> Page[Card, CardKey]:
        """A page of live cards matching the filter, in the requested order."""
        if request.kind is not self.cursor_kind(sort):
            raise ValueError(f"a {request.kind.name} page request for a {sort.field} list")
        after = request.after
        page_key = repr((card_filter, sort, after, request.first))
        found = await self._card_pages.load(
            page_key,
            lambda: self._repository.list_cards(card_filter, sort, after, request.limit),
        )
        return page_of(
            request,
            found,
            lambda c: (getattr(c, sort.field.value), c.id),
            lambda: self._count_cards(card_filter),
        )

    async def _count_cards(self, card_filter: CardFilter) -> int:
        return await self._card_counts.load(
            repr(card_filter), lambda: self._repository.count_cards(card_filter)
        )

    async def _announce(
        self, kind: CardEventKind, version: CardVersion, job_id: str | None = None
    ) -> None:
        await self._events.card_changed(_card_event(kind, version, job_id))

    async def _refresh_summary(self, card: Card, version: CardVersion) -> None:
        change = self._summary_change(card, version)
        ticket = self._cards.ticket()
        summary = await self._repository.apply_summary(change)
        self._summary_written(card.name, version, summary, ticket)

    def _summary_change(self, card: Card, version: CardVersion) -> SummaryChange:
        content = version.content
        return summary_change(
            card, version, risk_rating_of(content), model_package_group_of(content), self._clock()
        )

    def _summary_written(
        self, name: str, version: CardVersion, summary: Card | None, ticket: int
    ) -> None:
        """Keep the summary a write set (None: a newer version or a deletion won)."""
        if summary is None:
            self._cards.put_written(name, None, ticket)
        else:
            self._remember(summary, version, ticket)

    def _remember(self, card: Card, version: CardVersion, ticket: int) -> None:
        """Keep what this process just wrote, so its next read or write needs no round trip."""
        if card.latest_version == version.number:
            self._versions.put((card.id, version.number, card.revision), version)
        self._cards.put_written(card.name, card, ticket)


def _card_event(kind: CardEventKind, version: CardVersion, job_id: str | None) -> CardEvent:
    last = version.status_history[-1] if version.status_history else None
    return CardEvent(
        kind=kind,
        card_name=version.card_name,
        version=version.number,
        status=version.status.value,
        at=last.changed_at if last else version.created_at,
        actor=last.changed_by if last else version.created_by,
        job_id=job_id,
    )


def _require_approver_for(status: CardStatus, actor: Principal) -> None:
    if status is CardStatus.APPROVED:
        actor.require(Role.APPROVER, "approving cards")
