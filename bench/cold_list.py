"""Card lists right after a write (every cached page emptied): `cards(first: 100)` of 10,000
cards through the HTTP API, unfiltered and filtered, in each order; p50/p95 per list."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seeding import create_cards, seeding
from bench.stack import Row, api_process, graphql_data, report, stack, summary
from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings

FLEET = 10_000
SAMPLES = 40
RISKS = ("High", "Medium", "Low", "Unknown")
NODE = "edges { node { name status riskRating latestVersion { number contentSha256 } } }"
LISTS = {
    "unfiltered, by name": "{ cards(first: 100) { NODE } }",
    "risk HIGH, by name": "{ cards(first: 100, filter: {riskRating: [HIGH]}) { NODE } }",
    "newest updated first": (
        "{ cards(first: 100, sort: {field: UPDATED, direction: DESC}) { NODE } }"
    ),
}
UPDATE = (
    "mutation($n: String!, $c: JSON) { updateCardContent(input: {name: $n, contentJson: $c})"
    " { number } }"
)
TARGET_MS = 20.0


def _content(index: int) -> dict[str, Any]:
    return {
        "model_overview": {"model_description": "bench " * 100},
        "intended_uses": {"risk_rating": RISKS[index % len(RISKS)]},
    }


def _seed(settings: Settings) -> None:
    async def run() -> None:
        async with seeding(settings) as (services, _):
            await create_cards(services, [f"fleet-{i:05d}" for i in range(FLEET)], _content)

    started = time.perf_counter()
    asyncio.run(run())
    print(f"seeded {FLEET:,} cards in {time.perf_counter() - started:.0f} s")


def _after_writes(
    client: httpx.Client, url: str, query: str, label: str
) -> tuple[float, list[float]]:
    """The first list of this shape the process serves (ms), then the list right after each
    write (each a real new version: equal content would make none, and empty no cache)."""
    started = time.perf_counter()
    graphql_data(client, url, query, {})
    first = (time.perf_counter() - started) * 1000
    times = []
    for i in range(SAMPLES):
        content = {**_content(i), "business_details": {"business_problem": f"{label} {i}"}}
        graphql_data(client, url, UPDATE, {"n": f"fleet-{(i * 7919) % FLEET:05d}", "c": content})
        started = time.perf_counter()
        graphql_data(client, url, query, {})
        times.append((time.perf_counter() - started) * 1000)
    return first, times


def main() -> None:
    """Seed, then measure every list right after a write."""
    rows = []
    with stack() as running:
        settings = running.settings
        _, key = asyncio.run(issue_api_key(settings, "bench", Role.ADMIN, "bench"))
        _seed(settings)
        url = f"{settings.base_url}/graphql"
        headers = {"Authorization": f"Bearer {key}"}
        with api_process(settings), httpx.Client(headers=headers, timeout=60) as client:
            for label, query in LISTS.items():
                first, times = _after_writes(client, url, query.replace("NODE", NODE), label)
                figures = summary(times)
                rows.append(
                    Row(
                        f"cards(first: 100) of {FLEET:,}, {label}, right after a write",
                        f"p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms",
                        f"first list of the process {first:.0f} ms",
                        f"{figures['p50'] / TARGET_MS:.2f}x target",
                        f"p50 <= {TARGET_MS:.0f} ms",
                    )
                )
    report("cold_list", rows)


if __name__ == "__main__":
    main()
