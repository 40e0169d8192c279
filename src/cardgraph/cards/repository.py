"""Card and version documents in MongoDB; the unique (card, version) index is the commit point."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cardgraph.cards.as_of_queries import AsOfQueries
from cardgraph.cards.card_documents import (
    card_document,
    card_from_document,
    staleness_document,
)
from cardgraph.cards.card_lists import CardLists
from cardgraph.cards.ledger_entries import status_head
from cardgraph.cards.list_queries import RowKey
from cardgraph.cards.models import (
    Card,
    CardFilter,
    CardSort,
    CardVersion,
    Staleness,
    StatusChange,
    VersionKey,
)
from cardgraph.cards.version_documents import (
    status_change_document,
    version_document,
    version_from_document,
    version_id,
)
from cardgraph.storage.mongo import CARD_VERSIONS, CARDS, Document, insert_in_order


@dataclass(frozen=True, slots=True)
class SummaryChange:
    """An update pointing a card's summary at a version, and the summary it sets if it wins."""

    update: list[Document]
    card: Card


def summary_change(
    card: Card,
    version: CardVersion,
    risk: str | None,
    group: str | None,
    updated_at: datetime,
    checkpoint: Document | None = None,
) -> SummaryChange:
    """The summary update for a new latest `version` (and the card's new signed head, if
    given): one update on `_id` alone, whose fields each keep their value unless this version
    wins (the card is live and records no newer version), so a lost race modifies nothing."""
    # Not findAndModify, which the embedded server serves with a collection scan; and `_id`
    # alone, the one filter it serves without weighing every index (1.4 ms against 1.7).
    revision = secrets.randbits(62)
    fields: dict[str, object] = {
        "latest_version": version.number,
        "status": version.status.value,
        "risk_rating": risk,
        "model_package_group": group,
        "updated_at": updated_at,
        "revision": revision,
    }
    if checkpoint is not None:
        fields["checkpoint"] = checkpoint
    wins = {"$and": [{"$eq": ["$deleted", False]}, {"$lte": ["$latest_version", version.number]}]}
    update = [{"$set": {k: {"$cond": [wins, {"$literal": v}, f"${k}"]} for k, v in fields.items()}}]
    card = dataclasses.replace(
        card,
        latest_version=version.number,
        status=version.status,
        risk_rating=risk,
        model_package_group=group,
        updated_at=updated_at,
        revision=revision,
    )
    return SummaryChange(update, card)


class CardRepository:
    """Reads and writes `cards` and `card_versions`; no business rules live here."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cards = db[CARDS]
        self._versions = db[CARD_VERSIONS]
        self._lists = CardLists(self._cards)
        # The reads of as-of answers (a card, the inventory, at a past instant).
        self.as_of = AsOfQueries(self._cards, self._versions)

    async def insert_versions(self, versions: list[CardVersion]) -> int:
        """Commit consecutive new versions in one insert; how many went in before a
        (card, number) or job that exists already stopped the rest."""
        return await insert_in_order(self._versions, [version_document(v) for v in versions])

    def version_operations(self, versions: list[CardVersion]) -> list[InsertOne[Document]]:
        """The inserts of new versions, for a write across collections."""
        namespace = self._versions.full_name
        return [InsertOne(version_document(v), namespace=namespace) for v in versions]

    async def delete_version(self, card_id: str, number: int) -> None:
        """Remove a version that was never made visible (its card insert failed)."""
        await self._versions.delete_one({"_id": version_id(card_id, number)})

    async def insert_card(self, card: Card) -> bool:
        """Insert a new card; False when a live card already has that name."""
        try:
            await self._cards.insert_one(card_document(card))
        except DuplicateKeyError:
            return False
        return True

    async def find_card(self, name: str) -> Card | None:
        """The live card called `name`, if any."""
        doc = await self._cards.find_one({"live_name": name})
        return card_from_document(doc) if doc else None

    async def latest_version(self, card: Card) -> CardVersion | None:
        """The highest-numbered version (the truth, even if the card summary lags).

        Starts from the summary's pointer and looks one step past it in the same query, so
        the cost does not grow with the number of versions.
        """
        number = max(card.latest_version, 1)
        while True:
            ids = [version_id(card.id, number), version_id(card.id, number + 1)]
            found = {doc["number"]: doc async for doc in self._versions.find({"_id": {"$in": ids}})}
            if number + 1 in found:
                number += 1  # a writer got past the summary (or crashed before updating it)
                continue
            if number in found:
                return version_from_document(found[number], card.name)
            break
        # The pointer names no version (a summary ahead of a lost write): fall back to a scan.
        doc = await self._versions.find_one({"card_id": card.id}, sort=[("number", DESCENDING)])
        return version_from_document(doc, card.name) if doc else None

    async def get_version(self, card: Card, number: int) -> CardVersion | None:
        """One version of a card by number."""
        doc = await self._versions.find_one({"_id": version_id(card.id, number)})
        return version_from_document(doc, card.name) if doc else None

    async def get_versions(self, wanted: list[tuple[Card, int]]) -> list[CardVersion | None]:
        """Several versions by (card, number) in one query, in the order asked."""
        return await self.versions_by_key([(card.id, card.name, number) for card, number in wanted])

    async def versions_by_key(self, wanted: list[VersionKey]) -> list[CardVersion | None]:
        """Several versions by (card id, card name, number) in one query, in the order asked."""
        ids = [version_id(card_id, number) for card_id, _, number in wanted]
        found = {doc["_id"]: doc async for doc in self._versions.find({"_id": {"$in": ids}})}
        return [
            version_from_document(found[version_id], name) if version_id in found else None
            for version_id, (_, name, _) in zip(ids, wanted, strict=True)
        ]

    async def version_of_job(self, card: Card, job_id: str) -> CardVersion | None:
        """The version a job created, if it created one (redelivered jobs find it here)."""
        doc = await self._versions.find_one({"card_id": card.id, "job_id": job_id})
        return version_from_document(doc, card.name) if doc else None

    async def list_versions(
        self, card: Card, after_number: int | None, limit: int
    ) -> list[CardVersion]:
        """Versions in ascending order, starting after `after_number`."""
        start = after_number or 0
        # Numbers run 1, 2, 3, ... without gaps, so a page is a closed range. The embedded
        # server reads every document a filter selects before it sorts and limits: an open
        # range read the whole rest of the history for every page.
        bounded = await self._versions_in({"$gt": start, "$lte": start + limit}, card, limit)
        if len(bounded) == limit:
            return bounded
        # The end of the history (the open range then reads only what is left), or a gap,
        # which verifyCard reports (the card's summary is not trusted to tell them apart).
        return await self._versions_in({"$gt": start}, card, limit)

    async def _versions_in(self, numbers: Document, card: Card, limit: int) -> list[CardVersion]:
        query: Document = {"card_id": card.id, "number": numbers}
        cursor = self._versions.find(query).sort("number", ASCENDING).limit(limit)
        return [version_from_document(doc, card.name) async for doc in cursor]

    async def count_versions(self, card: Card) -> int:
        """How many versions a card has."""
        return await self._versions.count_documents({"card_id": card.id})

    async def record_status(self, card: Card, latest: CardVersion, change: StatusChange) -> bool:
        """Change a version's status if its status chain still ends where `latest` says (the
        change is chained after that); append the change to its history."""
        result = await self._versions.update_one(
            {
                "_id": version_id(card.id, latest.number),
                "status": latest.status.value,
                "status_sha256": status_head(latest),
            },
            {
                "$set": {"status": change.to_status.value, "status_sha256": change.sha256},
                "$push": {"status_history": status_change_document(change)},
            },
        )
        return result.modified_count == 1

    async def apply_summary(self, change: SummaryChange) -> Card | None:
        """Point the card summary at the change's version unless a newer version or a deletion
        won. The revision changes either way (readers cache versions per revision). Returns
        the summary the change set, or None when it lost: read it afresh then."""
        result = await self._cards.update_one({"_id": change.card.id}, change.update)
        return await self.summary_settled(change, result.modified_count)

    def summary_operation(self, change: SummaryChange) -> UpdateOne:
        """The update of `change`, for a write across collections."""
        return UpdateOne({"_id": change.card.id}, change.update, namespace=self._cards.full_name)

    async def summary_settled(self, change: SummaryChange, modified: int) -> Card | None:
        """The summary `change` set when it modified the card; else None, once the revision
        has moved on (readers must not keep versions cached under the old one)."""
        if modified == 1:
            return change.card
        await self._cards.update_one(
            {"_id": change.card.id}, {"$set": {"revision": secrets.randbits(62)}}
        )
        return None

    async def store_checkpoint(self, card_id: str, checkpoint: Document, events: int) -> bool:
        """Keep a signed checkpoint as the card's head unless a later one (covering more audit
        events) is there already."""
        result = await self._cards.update_one(
            {
                "_id": card_id,
                "$or": [{"checkpoint": None}, {"checkpoint.events": {"$lt": events}}],
            },
            {"$set": {"checkpoint": checkpoint}},
        )
        return result.modified_count == 1

    async def stored_checkpoint(self, card_id: str) -> Document | None:
        """The card's head checkpoint as stored (read afresh: never from a cache)."""
        doc = await self._cards.find_one({"_id": card_id}, {"checkpoint": 1})
        found = doc.get("checkpoint") if doc else None
        return found if isinstance(found, dict) else None

    async def set_stale(self, card_id: str, stale: Staleness | None) -> Card | None:
        """Mark a live card stale (or, with None, no longer stale); the card as it now is."""
        value = staleness_document(stale) if stale is not None else None
        await self._cards.update_one({"_id": card_id, "deleted": False}, {"$set": {"stale": value}})
        doc = await self._cards.find_one({"_id": card_id, "deleted": False})
        return card_from_document(doc) if doc else None

    async def mark_deleted(self, card: Card, deleted_at: datetime, deleted_by: str) -> bool:
        """Retire a card: its name becomes free, its versions stay for the record."""
        result = await self._cards.update_one(
            {"_id": card.id, "deleted": False},
            {
                "$set": {
                    "deleted": True,
                    "live_name": f"{card.name}#deleted#{card.id}",
                    "deleted_at": deleted_at,
                    "deleted_by": deleted_by,
                }
            },
        )
        return result.modified_count == 1

    async def list_cards(
        self, card_filter: CardFilter, sort: CardSort, after: RowKey | None, limit: int
    ) -> list[Card]:
        """A page of live cards in the requested order, after the keyset `after`."""
        return await self._lists.list_cards(card_filter, sort, after, limit)

    async def count_cards(self, card_filter: CardFilter) -> int:
        """How many live cards match the filter."""
        return await self._lists.count_cards(card_filter)
