"""The MongoDB filters of card lists, and the bounds that keep a page's read about a page (pure).

Why bounds: the embedded server (SecantusDB) fetches and decodes every document a filter
selects before it sorts and applies the limit; it has no limit push-down, even when an index
serves the sort. `cards(first: 100)` of 10,000 live cards therefore read all 10,000 (about
300 ms) whatever the indexes. A filter that also bounds the sort key (`name <= B`) selects
about a page, and an index on the sort key serves it.

B is learned from an earlier read of the same list: the sort key of a row a little beyond the
page. Any B gives the right page as long as at least `limit` rows lie within it: they are then
the first `limit` rows of the whole list. A bound that holds fewer (rows deleted or moved since)
is noticed, and the list is read unbounded once, which learns a new one. So bounds decide how
much is read, never what is returned. MongoDB needs none of this (its sort-serving index scan
stops at the limit); the bounded filter costs it nothing either.
"""

from __future__ import annotations

import re
from typing import Any

from cardgraph.caching.lru import LruCache
from cardgraph.cards.models import CardFilter

Document = dict[str, Any]
# The sort key (value, card id) of a listed row; lists order by it.
RowKey = tuple[Any, str]

MIN_SLACK = 8
# An unbounded read (which reads everything matching anyway) returns this many pages, so the
# bounds of the next pages are learned with it too.
PAGES_AHEAD = 4
CAPACITY = 512
# The operators that bound the sort key from the side a list walks towards.
_SAME_SIDE = {"$lte": ("$lt", "$lte"), "$gte": ("$gt", "$gte")}


def filter_query(card_filter: CardFilter) -> Document:
    """The filter selecting the live cards that meet `card_filter`."""
    query: Document = {"deleted": False}
    if card_filter.name_contains:
        # On `live_name` (equal to `name` on every live card) so that `name` stays free for the
        # sort-key bound: one field cannot carry both a regex and an index range here.
        query["live_name"] = {"$regex": re.escape(card_filter.name_contains), "$options": "i"}
    if card_filter.statuses:
        query["status"] = _any_of([s.value for s in card_filter.statuses])
    if card_filter.risk_ratings:
        query["risk_rating"] = _any_of(list(card_filter.risk_ratings))
    created: Document = {}
    if card_filter.created_after:
        created["$gt"] = card_filter.created_after
    if card_filter.created_before:
        created["$lt"] = card_filter.created_before
    if created:
        query["created_at"] = created
    if card_filter.model_package_group:
        query["model_package_group"] = card_filter.model_package_group
    if card_filter.stale is not None:
        query["stale"] = {"$ne": None} if card_filter.stale else None
    return query


def _any_of(values: list[str]) -> Any:
    # One value as plain equality: the embedded server then serves equality + sort-key range
    # from one compound index (it serves `$in` beside a range by the range alone).
    return values[0] if len(values) == 1 else {"$in": values}


def reach_operator(descending: bool) -> str:
    """The operator bounding a list's sort key from the far end of its page."""
    return "$gte" if descending else "$lte"


def sort_key_first(query: Document, field: str, bound: Any | None, descending: bool) -> Document:
    """`query` with its condition on the sort key `field` first, bounded by `bound` if given.

    First, because the embedded server serves a filter it cannot match to one compound index
    by its first clause that an index leads with: the sort-key range is the narrow one.
    """
    condition = query.get(field)
    rest = {k: v for k, v in query.items() if k != field}
    if bound is None:
        return query if condition is None else {field: condition, **rest}
    reach = reach_operator(descending)
    # `bound` is a listed row's key, so it meets the filter's own limits on that side; they
    # are implied, and dropping them leaves the server one range to walk.
    kept = {
        op: v
        for op, v in (condition.items() if isinstance(condition, dict) else ())
        if op not in _SAME_SIDE[reach]
    }
    return {field: {**kept, reach: bound}, **rest}


def slack(limit: int) -> int:
    """How many rows beyond the page a bound keeps, so a few deletions do not undo it."""
    return max(MIN_SLACK, limit // 4)


def unbounded_limit(limit: int) -> int:
    """Rows to ask of an unbounded read: the page and enough to learn the pages after it."""
    return limit * PAGES_AHEAD + slack(limit)


class ListBounds:
    """Learned sort-key bounds per list shape and starting point (a process-local hint)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._bounds: LruCache[tuple[str, RowKey | None], Any] = LruCache(capacity)

    def bound(self, shape: str, after: RowKey | None) -> Any | None:
        """The bound last learned for the page of `shape` starting after `after`."""
        return self._bounds.get((shape, after))

    def learn(self, shape: str, after: RowKey | None, rows: list[RowKey], limit: int) -> None:
        """Learn from `rows`, read in list order after `after` (as many as there were, up to
        what was asked): the bound of that page, and of the pages that follow it.

        A page shows `limit - 1` rows (the last row read only tells whether another page
        follows), so the next page starts after the `limit - 1`-th row.
        """
        start, begin = after, 0
        for page in range(PAGES_AHEAD):
            reach = begin + limit + slack(limit) - 1
            if reach >= len(rows):
                if page == 0:  # the list ends within reach: no bound, and an old one is stale
                    self._bounds.pop((shape, start))
                return
            self._bounds.put((shape, start), rows[reach][0])
            begin += max(1, limit - 1)
            start = rows[begin - 1]

    def tighten(self, shape: str, after: RowKey | None, rows: list[RowKey], limit: int) -> None:
        """After a bounded read of `rows`: bound the page by its slack row again (writes may
        have moved rows into the range since the bound was learned)."""
        reach = limit + slack(limit) - 1
        if reach < len(rows):
            self._bounds.put((shape, after), rows[reach][0])
