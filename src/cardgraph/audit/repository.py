"""`audit_events`: append-only; the unique (chain, sequence) index is each append's commit point."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING, DESCENDING, InsertOne
from pymongo.asynchronous.database import AsyncDatabase

from cardgraph.audit.models import AuditEvent, event_hash
from cardgraph.caching.lru import LruCache
from cardgraph.errors import ConflictError
from cardgraph.hashing import GENESIS_SHA256
from cardgraph.storage.mongo import AUDIT_EVENTS, Document, insert_in_order

MAX_APPEND_ATTEMPTS = 100
CACHED_CHAIN_HEADS = 10_000
CHAIN_PAGE = 1000


class AuditRepository:
    """Appends and reads audit events; nothing is ever updated or deleted."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._events = db[AUDIT_EVENTS]
        # The last (sequence, hash) this process appended or read per chain. It may be behind
        # the database (another process appended since) but never ahead of it, and the unique
        # (chain, sequence) index refuses an append after a stale head: one round trip when
        # this process is the chain's usual writer, a re-read when it is not.
        self._heads: LruCache[str, tuple[int, str]] = LruCache(CACHED_CHAIN_HEADS)

    async def append(self, events: list[AuditEvent]) -> list[AuditEvent]:
        """Add events of one chain at its end, in order, in one insert (retrying the ones
        another append beat to their sequence numbers)."""
        appended: list[AuditEvent] = []
        for attempt in range(1, MAX_APPEND_ATTEMPTS + 1):
            chained = await self.chain_next(events[len(appended) :])
            inserted = await insert_in_order(self._events, [_document(e) for e in chained])
            appended += chained[:inserted]
            self.appended(chained, inserted)
            if inserted == len(chained):
                return appended
            # Another append took a sequence number: the events before it are in, the rest go
            # after the new head. Back off a little and re-read.
            if attempt > 1:
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311
        raise ConflictError(f"the audit chain {events[0].chain!r} is too busy; try again")

    async def chain_next(self, events: list[AuditEvent]) -> list[AuditEvent]:
        """Events of one chain numbered and hashed after its head as this process knows it
        (reading it when unknown): their insert fails on the unique index if it is stale."""
        chain = events[0].chain
        if any(event.chain != chain for event in events):
            raise ValueError("one append, one chain")
        return _chained(events, await self.head(chain))

    async def head(self, chain: str) -> tuple[int, str]:
        """The (sequence, hash) of the chain's last event as this process knows it; read when
        unknown (GENESIS when the chain is empty)."""
        head = self._heads.get(chain)
        if head is None:
            last = await self._events.find_one({"chain": chain}, sort=[("sequence", DESCENDING)])
            head = (last["sequence"], last["event_sha256"]) if last else (0, GENESIS_SHA256)
            self._heads.put(chain, head)
        return head

    def insert_operations(self, chained: list[AuditEvent]) -> list[InsertOne[Document]]:
        """The inserts of chained events, for a write across collections."""
        return [InsertOne(_document(e), namespace=self._events.full_name) for e in chained]

    def appended(self, chained: list[AuditEvent], inserted: int) -> None:
        """Note that the first `inserted` chained events went in (all, or a stale head)."""
        chain = chained[0].chain
        if inserted == len(chained):
            self._heads.put(chain, (chained[-1].sequence, chained[-1].event_sha256))
        else:
            self._heads.pop(chain)

    async def page(
        self, card_name: str | None, before_id: str | None, limit: int
    ) -> list[tuple[AuditEvent, str]]:
        """Events with their ids, newest first (of one card, or all)."""
        query: Document = {} if card_name is None else {"card_name": card_name}
        if before_id is not None:
            query["_id"] = {"$lt": before_id}
        cursor = self._events.find(query).sort("_id", DESCENDING).limit(limit)
        return [(_event(doc), doc["_id"]) async for doc in cursor]

    async def count(self, card_name: str | None) -> int:
        """How many events (of one card, or all)."""
        return await self._events.count_documents(
            {} if card_name is None else {"card_name": card_name}
        )

    async def chain(self, chain: str) -> AsyncIterator[AuditEvent]:
        """A chain in order, for verification, read a page of sequence numbers at a time: one
        cursor over a long chain would outlive the operation timeout, which covers a cursor's
        whole life."""
        after = 0
        while True:
            numbers = {"$gt": after, "$lte": after + CHAIN_PAGE}
            query = {"chain": chain, "sequence": numbers}
            page = [doc async for doc in self._events.find(query).sort("sequence", ASCENDING)]
            for doc in page:
                yield _event(doc)
            if len(page) < CHAIN_PAGE:
                # The end, or a gap (which verification reports): the rest, if any, at once.
                rest = {"chain": chain, "sequence": {"$gt": after + CHAIN_PAGE}}
                async for doc in self._events.find(rest).sort("sequence", ASCENDING):
                    yield _event(doc)
                return
            after += CHAIN_PAGE


def _chained(events: list[AuditEvent], head: tuple[int, str]) -> list[AuditEvent]:
    """The events numbered and hashed one after another, from the chain's head."""
    sequence, previous = head
    chained = []
    for event in events:
        sequence += 1
        linked = dataclasses.replace(event, sequence=sequence, previous_sha256=previous)
        linked = dataclasses.replace(linked, event_sha256=event_hash(linked))
        chained.append(linked)
        previous = linked.event_sha256
    return chained


def _document(event: AuditEvent) -> Document:
    data: dict[str, Any] = dataclasses.asdict(event)
    # Ids sort in append order across chains (time first), for newest-first listing.
    data["_id"] = f"{event.at.isoformat()}|{event.chain}|{event.sequence:012d}"
    return data


def _event(doc: Document) -> AuditEvent:
    fields = {f.name for f in dataclasses.fields(AuditEvent)}
    # Events stored without a scheme were hashed before the ledger scheme.
    return AuditEvent(**{"scheme": 1, **{k: v for k, v in doc.items() if k in fields}})
