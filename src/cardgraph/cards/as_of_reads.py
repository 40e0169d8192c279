"""As-of answers: a card, the inventory, a version and the approved version as they stood at an
instant, read from the versions and their chained status histories (see `as_of`)."""

from __future__ import annotations

from datetime import datetime

from cardgraph.cards.as_of import (
    card_as_of,
    matches_as_of,
    narrowed,
    probes,
    status_at,
    unchanged_since,
    version_as_of,
)
from cardgraph.cards.as_of_queries import AsOfQueries
from cardgraph.cards.card_reads import CardKey, CardReads
from cardgraph.cards.models import (
    Card,
    CardFilter,
    CardSort,
    CardSortField,
    CardStatus,
    CardVersion,
)
from cardgraph.errors import BadArgumentError, missing_version
from cardgraph.pagination import Page, PageRequest, page_of

# Cards read per round of an as-of list: filters on status, risk or package group are applied
# after the as-of summaries are known, so a page may take several rounds.
ROUND_ROWS = 200


class AsOfReads:
    """Cards and versions as they stood at an instant."""

    def __init__(self, queries: AsOfQueries, reads: CardReads) -> None:
        self._queries = queries
        self._reads = reads

    async def card(self, name: str, at: datetime) -> Card | None:
        """The card called `name` as it stood at `at`; None if no card bore the name then."""
        card = await self._queries.card_named_at(name, at)
        if card is None:
            return None
        return (await self._summaries([card], at))[0]

    async def cards(
        self,
        card_filter: CardFilter,
        sort: CardSort,
        request: PageRequest[CardKey],
        at: datetime,
    ) -> Page[Card, CardKey]:
        """A page of the cards that stood at `at` and met the filter then, in `sort` order."""
        if sort.field is CardSortField.UPDATED:
            # Each card's time of last change then differs from the stored one: no index
            # orders them, and sorting the whole inventory in memory is not a page's cost.
            raise BadArgumentError("sort.field", "UPDATED cannot order a list as of an instant")
        if card_filter.stale is not None:
            # Staleness is kept as it is now, not as a history.
            raise BadArgumentError("filter.stale", "is known as of now only, not with asOf")
        rows = await self._matching(card_filter, sort, request.after, request.limit, at)
        return page_of(
            request,
            rows,
            lambda c: (getattr(c, sort.field.value), c.id),
            lambda: self._count(card_filter, sort, at),
        )

    async def version(self, card: Card, number: int, at: datetime) -> CardVersion | None:
        """Version `number` of an as-of `card` as it stood then; None if it did not exist."""
        if number < 1 or number > card.latest_version:
            return None
        found = await self._reads.version(card, number)
        return version_as_of(found, at) if found is not None else None

    async def latest_version(self, card: Card, at: datetime) -> CardVersion:
        """The version that was latest of an as-of `card`, as it stood then."""
        found = await self.version(card, card.latest_version, at)
        if found is None:
            raise missing_version(card.name, card.latest_version)
        return found

    async def versions(
        self, card: Card, request: PageRequest[tuple[int]], at: datetime
    ) -> Page[CardVersion, tuple[int]]:
        """A page of the versions an as-of `card` had then, oldest first."""
        page = await self._reads.versions(card, request)
        kept = [
            (version_as_of(v, at), key) for v, key in page.items if v.number <= card.latest_version
        ]

        async def count() -> int:
            return card.latest_version

        last = kept[-1][0].number if kept else (request.after[0] if request.after else 0)
        more = page.has_next_page and last < card.latest_version
        return Page(page.kind, kept, more, count)

    async def approved_version(self, card: Card, at: datetime) -> CardVersion | None:
        """The newest version of `card` that was APPROVED at `at`, as it stood then."""
        for version in await self._queries.ever_approved(card):
            standing = version.number <= card.latest_version
            if standing and status_at(version, at) is CardStatus.APPROVED:
                return version_as_of(version, at)
        return None

    async def _matching(
        self,
        card_filter: CardFilter,
        sort: CardSort,
        after: CardKey | None,
        limit: int,
        at: datetime,
    ) -> list[Card]:
        found: list[Card] = []
        while len(found) < limit:
            rows = await self._queries.card_rows(card_filter, sort, after, ROUND_ROWS, at)
            summaries = await self._summaries(rows, at)
            found += [c for c in summaries if matches_as_of(c, card_filter)]
            if len(rows) < ROUND_ROWS:
                break
            after = (getattr(rows[-1], sort.field.value), rows[-1].id)
        return found[:limit]

    async def _count(self, card_filter: CardFilter, sort: CardSort, at: datetime) -> int:
        if not (
            card_filter.statuses or card_filter.risk_ratings or card_filter.model_package_group
        ):
            # Nothing depends on the state then: the query counts it alone.
            return await self._queries.count_rows(card_filter, at)
        return len(await self._matching(card_filter, sort, None, 2**62, at))

    async def _summaries(self, cards: list[Card], at: datetime) -> list[Card]:
        """Each card's summary as it stood at `at`: the stored one where nothing changed since,
        else from the version that was latest then (found by searching all cards at once)."""
        changed = [c for c in cards if not unchanged_since(c, at)]
        numbers = await self._numbers_at(changed, at)
        wanted = [(c, numbers[c.id]) for c in changed]
        versions = await self._reads_versions(wanted)
        rewound = {
            card.id: card_as_of(card, version_as_of(version, at), at)
            for (card, _), version in zip(wanted, versions, strict=True)
        }
        return [rewound.get(c.id, c) for c in cards]

    async def _numbers_at(self, cards: list[Card], at: datetime) -> dict[str, int]:
        """The number of each card's latest version at `at` (version 1 was created with the
        card, so by then): a search of all the cards' histories in step, one read a round."""
        ranges = {c.id: (1, c.latest_version + 1) for c in cards}
        while open_ := {k: r for k, r in ranges.items() if r[1] - r[0] > 1}:
            wanted = [(k, n) for k, (low, high) in open_.items() for n in probes(low, high)]
            created = await self._queries.creation_times(wanted)
            for k, (low, high) in open_.items():
                times = {n: created[(k, n)] for n in probes(low, high) if (k, n) in created}
                ranges[k] = narrowed(low, high, times, at)
        return {k: low for k, (low, _) in ranges.items()}

    async def _reads_versions(self, wanted: list[tuple[Card, int]]) -> list[CardVersion]:
        found = await self._reads.versions_by_key([(c.id, c.name, n) for c, n in wanted])
        versions: list[CardVersion] = []
        for (card, number), version in zip(wanted, found, strict=True):
            if version is None:
                raise missing_version(card.name, number)
            versions.append(version)
        return versions
