"""The reads behind as-of answers: the card that bore a name at an instant, the cards that stood
then, version creation times for the search, and the versions that were ever approved."""

from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from cardgraph.cards.card_documents import card_from_document
from cardgraph.cards.list_queries import RowKey
from cardgraph.cards.models import Card, CardFilter, CardSort, CardStatus, CardVersion
from cardgraph.cards.version_documents import version_from_document, version_id
from cardgraph.storage.mongo import Document


def standing_at(at: datetime) -> Document:
    """The cards that existed at `at`: created by then, and not deleted by then."""
    return {
        "created_at": {"$lte": at},
        "$or": [{"deleted": False}, {"deleted_at": {"$gt": at}}],
    }


def rows_query(card_filter: CardFilter, at: datetime) -> Document:
    """The cards that stood at `at` and meet the filter's conditions fixed over time (name and
    creation time)."""
    query = standing_at(at)
    created: Document = query["created_at"]
    if card_filter.created_after:
        created["$gt"] = card_filter.created_after
    if card_filter.created_before:
        # Both bounds hold: the tighter one decides.
        created["$lt"] = card_filter.created_before
    if card_filter.name_contains:
        # `name`, not `live_name`: a card deleted since still bears its name then.
        query["name"] = {"$regex": re.escape(card_filter.name_contains), "$options": "i"}
    return query


class AsOfQueries:
    """Reads of `cards` and `card_versions` for answers about a past instant."""

    def __init__(
        self, cards: AsyncCollection[Document], versions: AsyncCollection[Document]
    ) -> None:
        self._cards = cards
        self._versions = versions

    async def card_named_at(self, name: str, at: datetime) -> Card | None:
        """The card called `name` at `at` (live names are unique at every instant)."""
        # By name alone (an index serves it; a name has one live card and its deleted ones),
        # then the instant: the embedded server weighed the whole filter against every card.
        async for doc in self._cards.find({"name": name}):
            deleted_at = doc.get("deleted_at") if doc.get("deleted") else None
            if doc["created_at"] <= at and (deleted_at is None or deleted_at > at):
                return card_from_document(doc)
        return None

    async def card_rows(
        self,
        card_filter: CardFilter,
        sort: CardSort,
        after: RowKey | None,
        limit: int,
        at: datetime,
    ) -> list[Card]:
        """Up to `limit` cards that stood at `at`, in `sort` order after the keyset `after`."""
        query = rows_query(card_filter, at)
        field = sort.field.value
        direction = DESCENDING if sort.descending else ASCENDING
        if after is not None:
            value, card_id = after
            beyond = "$lt" if sort.descending else "$gt"
            keyset = [{field: {beyond: value}}, {field: value, "_id": {beyond: card_id}}]
            query = {"$and": [query, {"$or": keyset}]}
        cursor = self._cards.find(query).sort([(field, direction), ("_id", direction)])
        return [card_from_document(doc) async for doc in cursor.limit(limit)]

    async def count_rows(self, card_filter: CardFilter, at: datetime) -> int:
        """How many cards stood at `at` and meet the filter's conditions fixed over time."""
        return await self._cards.count_documents(rows_query(card_filter, at))

    async def creation_times(
        self, wanted: list[tuple[str, int]]
    ) -> dict[tuple[str, int], datetime]:
        """When each (card id, number) version was created; absent ones are left out."""
        ids = [version_id(card_id, number) for card_id, number in wanted]
        cursor = self._versions.find(
            {"_id": {"$in": ids}}, {"card_id": 1, "number": 1, "created_at": 1}
        )
        return {(doc["card_id"], doc["number"]): doc["created_at"] async for doc in cursor}

    async def ever_approved(self, card: Card) -> list[CardVersion]:
        """The card's versions that are APPROVED or ARCHIVED now, newest first: statuses only
        move on, so every version ever approved is among them."""
        found: list[CardVersion] = []
        # One query per status: equality on both fields is what one index serves whole.
        for status in (CardStatus.APPROVED, CardStatus.ARCHIVED):
            cursor = self._versions.find({"card_id": card.id, "status": status.value})
            found += [version_from_document(doc, card.name) async for doc in cursor]
        return sorted(found, key=lambda v: v.number, reverse=True)
