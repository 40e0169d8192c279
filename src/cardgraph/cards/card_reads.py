"""Card reads: summaries, versions and card lists, from memory where it is safe, and the
cache upkeep a write of this process does so that its next read needs no round trip."""

from __future__ import annotations

import asyncio
from typing import Any

from cardgraph.caching.freshness import FreshCache, Freshness, Topic
from cardgraph.caching.lru import LruCache
from cardgraph.caching.shared_reads import SharedReads
from cardgraph.cards.content_check import OFF_LOOP_CHARS
from cardgraph.cards.field_diff import FieldChange, VersionDiff
from cardgraph.cards.models import (
    Card,
    CardFilter,
    CardSort,
    CardSortField,
    CardVersion,
    VersionKey,
)
from cardgraph.cards.repository import CardRepository
from cardgraph.errors import BadRequestError, NotFoundError
from cardgraph.pagination import (
    CARDS_BY_CREATED,
    CARDS_BY_NAME,
    CARDS_BY_UPDATED,
    CursorKind,
    Page,
    PageRequest,
    page_of,
)

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


class CardReads:
    """Live cards, their versions and pages of cards, cached while change events are heard."""

    def __init__(self, repository: CardRepository, freshness: Freshness) -> None:
        self._repository = repository
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
        version = await self._latest_reads.read(key, lambda: self.current_version(card))
        if version.number == card.latest_version:
            self._versions.put(key, version)
        return version

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

    async def current_version(self, card: Card) -> CardVersion:
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

    async def version_diff(self, card: Card, from_number: int, to_number: int) -> VersionDiff:
        """Two versions of `card` to compare (either order), read through the version cache."""
        for argument, number in (("from", from_number), ("to", to_number)):
            if number < 1:
                raise BadRequestError(f"`{argument}` is a version number, 1 or more: not {number}")
        before, after = await asyncio.gather(
            self.version(card, from_number), self.version(card, to_number)
        )
        if before is None or after is None:
            missing = from_number if before is None else to_number
            raise NotFoundError(f"card {card.name!r} has no version {missing}")
        return VersionDiff(before, after)

    @staticmethod
    async def changes(diff: VersionDiff) -> list[FieldChange]:
        """Every change of `diff`; large contents are compared in a worker thread (parsing and
        walking 100,000 characters takes milliseconds of pure Python)."""
        if _small(diff):
            return diff.changes()
        return await asyncio.to_thread(diff.changes)

    @staticmethod
    async def sections(diff: VersionDiff) -> list[str]:
        """The top-level sections `diff` changes (no change is built)."""
        if _small(diff):
            return diff.sections()
        return await asyncio.to_thread(diff.sections)

    async def versions_by_key(self, wanted: list[VersionKey]) -> list[CardVersion | None]:
        """Versions by (card id, name, number), in one query, for their content (immutable)."""
        return await self._repository.versions_by_key(wanted)

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

    def ticket(self) -> int:
        """Take before writing a card; pass to `remember`, `summary_written` or `forget`."""
        return self._cards.ticket()

    def summary_written(
        self, name: str, version: CardVersion, summary: Card | None, ticket: int
    ) -> None:
        """Keep the summary a write set (None: a newer version or a deletion won)."""
        if summary is None:
            self.forget(name, ticket)
        else:
            self.remember(summary, version, ticket)

    def remember(self, card: Card, version: CardVersion, ticket: int) -> None:
        """Keep what this process just wrote, so its next read or write needs no round trip."""
        if card.latest_version == version.number:
            self._versions.put((card.id, version.number, card.revision), version)
        self._cards.put_written(card.name, card, ticket)

    def card_written(self, card: Card, ticket: int) -> None:
        """Keep a summary this process just changed outside any version write."""
        self._cards.put_written(card.name, card, ticket)

    def forget(self, name: str, ticket: int) -> None:
        """This process's write left no live card called `name` (or a newer one won)."""
        self._cards.put_written(name, None, ticket)


def _small(diff: VersionDiff) -> bool:
    """Whether both contents together are small enough to compare on the event loop."""
    return len(diff.before.content_json) + len(diff.after.content_json) < 2 * OFF_LOOP_CHARS
