"""What reads and writes cost in database round trips, counted by PyMongo's command monitoring
on services wired exactly as in the API (with a live event hub keeping the caches fresh)."""

from __future__ import annotations

import asyncio
from typing import Any

from cardgraph.access.models import Role
from cardgraph.settings import Settings
from tests.monitoring import services_with_log
from tests.servers import run_async

CONTENT: dict[str, Any] = {
    "intended_uses": {"risk_rating": "Low"},
    "additional_information": {"custom_details": {f"k{i}": "v" * 900 for i in range(10)}},
}


def test_a_version_write_costs_three_round_trips_and_a_warm_read_none(
    settings: Settings, keys: dict[Role, str], card_name: str
) -> None:
    async def scenario() -> dict[str, list[tuple[str, str]]]:
        costs: dict[str, list[tuple[str, str]]] = {}
        async with services_with_log(settings) as (services, log):

            async def measure(label: str, action: Any) -> Any:
                del log.commands[:]
                result = await action
                costs[label] = list(log.commands)
                await asyncio.sleep(0.05)  # this write's own event comes back through the hub
                return result

            editor = await services.authenticator.authenticate(keys[Role.EDITOR])
            await measure(
                "authenticate again", services.authenticator.authenticate(keys[Role.EDITOR])
            )
            await services.cards.create_card(card_name, CONTENT, editor)
            for number in range(2, 5):
                content = {**CONTENT, "business_details": {"business_problem": f"p{number}"}}
                written = await measure(
                    f"write {number}", services.cards.update_content(card_name, content, editor)
                )
                assert written.number == number
            card = await measure("find card", services.cards.require_card(card_name))
            latest = await measure("read latest", services.cards.latest_version(card))
            assert latest.number == 4
        return costs

    costs = run_async(scenario())
    assert costs["authenticate again"] == []
    assert costs["find card"] == []
    assert costs["read latest"] == []
    for number in range(2, 5):
        assert costs[f"write {number}"] == [
            ("insert", "card_versions"),
            ("update", "cards"),
            ("insert", "audit_events"),
        ], costs


def test_latest_versions_of_a_listed_page_take_one_query(
    settings: Settings, keys: dict[Role, str], card_name: str
) -> None:
    async def scenario() -> list[tuple[str, str]]:
        async with services_with_log(settings) as (services, log):
            editor = await services.authenticator.authenticate(keys[Role.EDITOR])
            names = [f"{card_name}-{i:02d}" for i in range(12)]
            for i, name in enumerate(names):
                await services.cards.create_card(
                    name, {"model_overview": {"model_version": i + 1}}, editor
                )
        async with services_with_log(settings) as (services, log):  # a process with cold caches
            cards = [await services.cards.require_card(name) for name in names]
            del log.commands[:]
            latest = await services.cards.latest_versions(cards)
            assert [v.content["model_overview"]["model_version"] for v in latest] == list(
                range(1, 13)
            )
            return list(log.commands)

    assert run_async(scenario()) == [("find", "card_versions")]
