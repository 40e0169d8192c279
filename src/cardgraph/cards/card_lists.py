"""Card list queries: keyset pages, each read bounded to about a page (see `list_queries`)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from cardgraph.cards.card_documents import card_from_document
from cardgraph.cards.list_queries import (
    ListBounds,
    RowKey,
    filter_query,
    slack,
    sort_key_first,
    unbounded_limit,
)
from cardgraph.cards.models import Card, CardFilter, CardSort
from cardgraph.storage.mongo import Document


class CardLists:
    """Pages of live cards from the `cards` collection."""

    def __init__(self, cards: AsyncCollection[Document]) -> None:
        self._cards = cards
        # Process-local hints that keep a list's read about a page; never its result.
        self._bounds = ListBounds()

    async def list_cards(
        self, card_filter: CardFilter, sort: CardSort, after: RowKey | None, limit: int
    ) -> list[Card]:
        """A page of live cards in the requested order, after the keyset `after`."""
        query = filter_query(card_filter)
        field = sort.field.value
        direction = DESCENDING if sort.descending else ASCENDING
        order = [(field, direction), ("_id", direction)]
        shape = repr((card_filter, sort, limit))
        if after is None:
            return await self._find_bounded(shape, None, query, sort, order, limit)
        # "(field, _id) after (value, id)" as two index-bounded queries: the rest of the ties
        # on `value`, then what lies strictly beyond it (a single $or defeats index bounds).
        value, card_id = after
        beyond = "$lt" if sort.descending else "$gt"
        # (`value` came from a listed card, so equality to it implies any filter on `field`.)
        ties = await self._find_cards(
            {**query, field: value, "_id": {beyond: card_id}}, order, limit
        )
        if len(ties) == limit:
            return ties
        condition = query.get(field)  # a filter on the same field keeps its operators
        bounded = {**(condition if isinstance(condition, dict) else {}), beyond: value}
        rest = await self._find_bounded(
            shape, after, {**query, field: bounded}, sort, order, limit - len(ties)
        )
        return ties + rest

    async def _find_bounded(
        self,
        shape: str,
        after: RowKey | None,
        query: Document,
        sort: CardSort,
        order: list[tuple[str, int]],
        limit: int,
    ) -> list[Card]:
        """The first `limit` cards of `query` in `order`, reading only up to the sort-key bound
        learned for this page when there is one (see `list_queries`)."""
        field = sort.field.value
        bound = self._bounds.bound(shape, after)
        if bound is not None:
            bounded = sort_key_first(query, field, bound, sort.descending)
            found = await self._find_cards(bounded, order, limit + slack(limit))
            if len(found) >= limit:
                self._bounds.tighten(shape, after, _row_keys(found, field), limit)
                return found[:limit]
        found = await self._find_cards(
            sort_key_first(query, field, None, sort.descending), order, unbounded_limit(limit)
        )
        self._bounds.learn(shape, after, _row_keys(found, field), limit)
        return found[:limit]

    async def _find_cards(
        self, query: Document, order: list[tuple[str, int]], limit: int
    ) -> list[Card]:
        cursor = self._cards.find(query).sort(order).limit(limit)
        return [card_from_document(doc) async for doc in cursor]

    async def count_cards(self, card_filter: CardFilter) -> int:
        """How many live cards match the filter."""
        return await self._cards.count_documents(filter_query(card_filter))


def _row_keys(cards: list[Card], field: str) -> list[RowKey]:
    return [(getattr(card, field), card.id) for card in cards]
