"""The group-commit content writer: a card's queued content changes become new versions, the
summary, audit events and card events together, one card writer at a time in this process."""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Callable
from datetime import datetime

from cardgraph.audit.service import AuditLog
from cardgraph.cards.card_reads import CardReads
from cardgraph.cards.checkpoints import CardCheckpoints
from cardgraph.cards.content import model_package_group_of, risk_rating_of
from cardgraph.cards.content_changes import (
    ContentChange,
    ContentOutcome,
    plan_content,
    split_at_refused_insert,
)
from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.repository import CardRepository, SummaryChange, summary_change
from cardgraph.cards.write_queue import Pending, WriteQueue
from cardgraph.errors import ConflictError
from cardgraph.events.models import CardEvent, CardEventKind
from cardgraph.events.publisher import EventPublisher
from cardgraph.ledger.signing import Checkpoint
from cardgraph.storage.ordered_writes import OrderedWrites

# Writers without expectedVersion retry a lost race; this bounds pathological contention.
MAX_WRITE_ATTEMPTS = 200


class ContentWriter:
    """Writes content changes in batches per card, and keeps summaries and card events."""

    def __init__(
        self,
        repository: CardRepository,
        reads: CardReads,
        *,
        audit: AuditLog,
        events: EventPublisher,
        checkpoints: CardCheckpoints,
        writes: OrderedWrites | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._reads = reads
        self._audit = audit
        self._events = events
        self._checkpoints = checkpoints
        # A content write's versions, summary and audit events in one round trip, if given.
        self._writes = writes
        self._clock = clock
        # Held only while a write is under way: idle cards cost nothing.
        self._writers: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # Same-card content changes that queue up while one is written go in together.
        self._content_writes: WriteQueue[ContentChange, CardVersion] = WriteQueue(
            self._write_contents
        )

    async def write(self, name: str, change: ContentChange) -> CardVersion:
        """Queue a content change for the card called `name`; its version once written."""
        return await self._content_writes.submit(name, change)

    def card_lock(self, name: str) -> asyncio.Lock:
        """One writer per card at a time in this process: same-card writers queue here
        instead of racing for the next version number and retrying (other processes still
        race, and the unique index settles it)."""
        lock = self._writers.get(name)
        if lock is None:
            lock = asyncio.Lock()
            self._writers[name] = lock
        return lock

    async def _write_contents(
        self, name: str, batch: list[Pending[ContentChange, CardVersion]]
    ) -> None:
        """Write the content changes queued for one card, in order, as if one by one: every
        new version in one insert, then the summary, then every audit event in one insert."""
        async with self.card_lock(name):
            # The first attempt trusts the cached latest version: if another process got there
            # first, the unique (card, number) index refuses our insert and we re-read the truth.
            from_database = False
            for _ in range(MAX_WRITE_ATTEMPTS):
                card = await self._reads.require_card(name)
                if from_database:
                    latest = await self._reads.current_version(card)
                else:
                    latest = await self._reads.latest_version(card)
                outcomes = await self._plan_contents(card, latest, batch, from_database)
                if outcomes is None:  # an expectedVersion disagrees with the cache
                    from_database = True
                    continue
                inserted, finished = await self._commit_contents(card, outcomes)
                done, batch = split_at_refused_insert(name, outcomes, inserted)
                if not finished:
                    await self._finish_contents(card, done)
                await self._answer_contents(done)
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
        events = [o.event for o in outcomes if o.event is not None]
        audit = await self._audit.prepare_all(events)
        # The new head is known before the write: its checkpoint goes with the summary.
        last = audit.events[-1]
        checkpoint = self._checkpoints.sign(card, latest, (last.sequence, last.event_sha256))
        change = self._summary_change(card, latest, checkpoint)
        ticket = self._reads.ticket()
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
        self._reads.summary_written(card.name, latest, summary, ticket)
        appended = max(0, written.applied - summary_at - 1)
        await self._audit.settle(audit, appended)
        if appended < len(audit.events) or summary is None:
            # Another process moved the audit chain on (the events went in later, elsewhere),
            # or wrote a newer version: sign the head as it now stands.
            await self._checkpoints.sign_head(card, latest)
        else:
            await self._checkpoints.published(checkpoint)
        return len(created), True

    async def _finish_contents(self, card: Card, done: list[ContentOutcome]) -> None:
        """Audit, then point the summary at the last new version with the card's new signed
        head (one write each)."""
        created = [o for o in done if o.created]
        events = [o.event for o in done if o.event is not None]
        appended = await self._audit.record_all(events) if events else []
        if not created:
            return
        latest = created[-1].version
        if not appended:
            await self.refresh_summary(card, latest)
            return
        head = (appended[-1].sequence, appended[-1].event_sha256)
        checkpoint = self._checkpoints.sign(card, latest, head)
        if await self.refresh_summary(card, latest, checkpoint):
            await self._checkpoints.published(checkpoint)
        else:
            await self._checkpoints.sign_head(card)

    async def _answer_contents(self, done: list[ContentOutcome]) -> None:
        """Announce the new versions and answer the callers."""
        await self._events.cards_changed(
            [
                card_event(
                    CardEventKind.VERSION_CREATED, o.version, o.pending.request.job_id, o.sections
                )
                for o in done
                if o.created
            ]
        )
        for outcome in done:
            outcome.pending.resolve(outcome.result)

    async def refresh_summary(
        self, card: Card, version: CardVersion, checkpoint: Checkpoint | None = None
    ) -> bool:
        """Point the card's summary at `version` (and its head at `checkpoint`) and keep what
        was written in memory. False when a newer version or a deletion won."""
        change = self._summary_change(card, version, checkpoint)
        ticket = self._reads.ticket()
        summary = await self._repository.apply_summary(change)
        self._reads.summary_written(card.name, version, summary, ticket)
        return summary is not None

    def _summary_change(
        self, card: Card, version: CardVersion, checkpoint: Checkpoint | None = None
    ) -> SummaryChange:
        content = version.content
        return summary_change(
            card,
            version,
            risk_rating_of(content),
            model_package_group_of(content),
            self._clock(),
            checkpoint.to_json() if checkpoint else None,
        )

    async def announce(
        self,
        kind: CardEventKind,
        version: CardVersion,
        job_id: str | None = None,
        sections: tuple[str, ...] | None = None,
    ) -> None:
        """Publish a card event about `version`."""
        await self._events.card_changed(card_event(kind, version, job_id, sections))


def card_event(
    kind: CardEventKind,
    version: CardVersion,
    job_id: str | None,
    sections: tuple[str, ...] | None = None,
) -> CardEvent:
    """The card event for `version`, stamped by its last status change or its creation;
    `sections` names what a new version changed."""
    last = version.status_history[-1] if version.status_history else None
    return CardEvent(
        kind=kind,
        card_name=version.card_name,
        version=version.number,
        status=version.status.value,
        at=last.changed_at if last else version.created_at,
        actor=last.changed_by if last else version.created_by,
        job_id=job_id,
        sections=sections,
    )
