"""Card lists read about a page, not every live card: once a list has been read, its next read
(after a write has emptied the cached pages) sends a filter bounded on the sort key, which the
database serves from an index. The bound only ever decides how much is read: pages stay those
of the whole list when cards are added before the bound, deleted from within it, or moved."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from cardgraph.cards.models import CardFilter, CardSort, CardSortField
from cardgraph.pagination import PageRequest
from cardgraph.principals import Principal, Role
from cardgraph.services import Services
from cardgraph.settings import Settings
from tests.cards.test_indexes import SESSION_FIELDS, _stages
from tests.support.monitoring import CommandLog, services_with_log
from tests.support.servers import run_async

CARDS = 300
FIRST = 20
ADMIN = Principal(key_id="list-bounds", name="list-bounds", role=Role.ADMIN)
RISKS = ("High", "Low")


@pytest.fixture(scope="module")
def prefix(settings: Settings) -> str:
    """A fleet of CARDS live cards sharing a prefix, half of them rated High."""
    prefix = f"lb{uuid.uuid4().hex[:8]}"

    async def seed() -> None:
        async with services_with_log(settings) as (services, _):
            names = [f"{prefix}-{i:04d}" for i in range(CARDS)]

            async def creator(part: list[str]) -> None:
                for name in part:
                    risk = RISKS[int(name[-4:]) % 2]
                    content = {"intended_uses": {"risk_rating": risk}}
                    await services.cards.create_card(name, content, ADMIN)

            await asyncio.gather(*(creator(names[i::8]) for i in range(8)))

    run_async(seed())
    return prefix


def _reference(db: Any, query: dict[str, Any], sort: CardSort) -> list[str]:
    """The first page as the database orders the whole list (no bound)."""
    direction = -1 if sort.descending else 1
    order = [(sort.field.value, direction), ("_id", direction)]
    return [d["name"] for d in db.cards.find({"deleted": False, **query}).sort(order).limit(FIRST)]


async def _names(services: Services, card_filter: CardFilter, sort: CardSort) -> list[str]:
    request = PageRequest(services.cards.cursor_kind(sort), FIRST)
    page = await services.cards.cards(card_filter, sort, request)
    return [card.name for card, _ in page.items]


def _list_filters(log: CommandLog, since: int) -> list[dict[str, Any]]:
    return [doc for doc in log.documents[since:] if doc.get("find") == "cards"]


async def _write(services: Services, name: str, marker: str) -> None:
    """A real new version: it empties every cached page of this process."""
    content = {
        "intended_uses": {"risk_rating": RISKS[0]},
        "business_details": {"business_problem": marker},
    }
    await services.cards.update_content(name, content, ADMIN)


@pytest.mark.parametrize(
    ("card_filter", "sort", "query"),
    [
        (CardFilter(), CardSort(), {}),
        (CardFilter(risk_ratings=("High",)), CardSort(), {"risk_rating": "High"}),
        (CardFilter(), CardSort(CardSortField.UPDATED, True), {}),
    ],
    ids=["by name", "risk High by name", "newest updated first"],
)
def test_a_list_after_a_write_reads_about_a_page_through_an_index(
    settings: Settings,
    db: Any,
    prefix: str,
    card_filter: CardFilter,
    sort: CardSort,
    query: dict[str, Any],
) -> None:
    async def scenario() -> tuple[list[str], list[dict[str, Any]]]:
        async with services_with_log(settings) as (services, log):
            await _names(services, card_filter, sort)  # a cold process reads it whole, once
            await _write(services, f"{prefix}-0001", uuid.uuid4().hex)
            since = len(log.documents)
            names = await _names(services, card_filter, sort)
            return names, _list_filters(log, since)

    names, finds = run_async(scenario())
    assert names == _reference(db, query, sort)
    assert len(finds) == 1
    command = {k: v for k, v in finds[0].items() if k not in SESSION_FIELDS}
    live = db.cards.count_documents({"deleted": False, **query})
    assert live >= CARDS // 2
    # What the filter selects is all any server must read: about a page, not every live card.
    assert db.cards.count_documents(command["filter"]) <= 2 * (FIRST + 1)
    explained = db.command("explain", command, verbosity="queryPlanner")
    assert "COLLSCAN" not in _stages(explained["queryPlanner"]["winningPlan"])


def test_pages_stay_those_of_the_whole_list_whatever_the_learned_bound(
    settings: Settings, db: Any, prefix: str
) -> None:
    only = CardFilter(name_contains=prefix)
    regex = {"name": {"$regex": prefix}}
    by_name, by_updated = CardSort(), CardSort(CardSortField.UPDATED, True)

    async def scenario() -> list[tuple[list[str], list[str]]]:
        seen: list[tuple[list[str], list[str]]] = []
        async with services_with_log(settings) as (services, _):

            async def check(sort: CardSort) -> None:
                seen.append((await _names(services, only, sort), _reference(db, regex, sort)))

            await check(by_name)
            await check(by_updated)
            # New cards that sort before the learned bound.
            for i in range(3):
                await services.cards.create_card(f"{prefix}-0000a{i}", {}, ADMIN)
            await check(by_name)
            # Cards moved into the newest-first range from far outside it.
            for i in (CARDS - 1, CARDS - 2):
                await _write(services, f"{prefix}-{i:04d}", uuid.uuid4().hex)
            await check(by_updated)
            # The page's rows deleted, and the slack beyond it: the bound now holds too few.
            for name in seen[2][0] + [f"{prefix}-{i:04d}" for i in range(FIRST, FIRST + 12)]:
                await services.cards.delete_card(name, ADMIN)
            await check(by_name)
            await check(by_name)
        return seen

    for got, expected in run_async(scenario()):
        assert got == expected
        assert len(got) == FIRST
