"""A card's history through the HTTP API: paging through the field diffs of a card with 1,000
versions of ~27 KB content, `versionDiff` across the whole history, `verifyCard`, and the card
as of an instant, on cards with 1,000 and 100,000 versions (created a millisecond apart)."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seeding import SEEDER, grow_history, seeding
from bench.stack import Row, api_process, graphql_data, report, stack, summary
from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings

SIZES = (1_000, 100_000)
SAMPLES = 20
PAGE = (
    "query($n: String!, $after: String) { card(name: $n) { versions(first: 100, after: $after)"
    " { edges { node { number diff { changes { path kind before after } } } } "
    "pageInfo { hasNextPage endCursor } } } }"
)
WHOLE = (
    "query($n: String!, $to: Int!) { versionDiff(name: $n, from: 1, to: $to) "
    "{ sectionsChanged changes { path kind } } }"
)
VERIFY = (
    "query($n: String!) { verifyCard(name: $n) { valid versionsChecked auditEventsChecked "
    "checkpointsChecked firstInvalidRecord reason } }"
)

AS_OF = (
    "query($n: String!, $at: DateTime!) { card(name: $n, asOf: $at) { status "
    "latestVersion { number statusHistory { toStatus } } approvedVersion { number } } }"
)
STEP = timedelta(milliseconds=1)


def _rich(number: int) -> dict[str, Any]:
    """~27 KB of content in which each version changes one metric (and every tenth, the
    description)."""
    return {
        "model_overview": {"model_description": f"release {number // 10}", "model_version": 1},
        "evaluation_details": [
            {
                "name": f"evaluation-{job}",
                "metric_groups": [
                    {
                        "name": f"group-{group}",
                        "metric_data": [
                            {
                                "name": f"metric-{metric}",
                                "type": "number",
                                "value": (number if (job, group, metric) == (0, 0, 0) else 0)
                                + metric / 100,
                            }
                            for metric in range(20)
                        ],
                    }
                    for group in range(5)
                ],
            }
            for job in range(4)
        ],
        "additional_information": {"custom_details": {f"k{i}": "v" * 90 for i in range(40)}},
    }


def _seed(settings: Settings, names: dict[int, str]) -> None:
    async def run() -> None:
        async with seeding(settings) as (services, repository):
            for total, name in names.items():
                content = _rich if total <= 1_000 else None
                await services.cards.create_card(name, (content or _small)(1), SEEDER)
                await grow_history(services, repository, name, total, content, STEP)

    asyncio.run(run())


def _small(number: int) -> dict[str, Any]:
    return {"model_overview": {"model_version": number}}


def _page_through(client: httpx.Client, name: str) -> tuple[float, list[float], int]:
    """Total ms to read every version's diff 100 at a time, each page's ms, and changes seen."""
    after, pages, changes = None, [], 0
    started = time.perf_counter()
    while True:
        page_started = time.perf_counter()
        versions = graphql_data(client, "/graphql", PAGE, {"n": name, "after": after})["card"][
            "versions"
        ]
        pages.append((time.perf_counter() - page_started) * 1000)
        changes += sum(
            len(e["node"]["diff"]["changes"]) for e in versions["edges"] if e["node"]["diff"]
        )
        if not versions["pageInfo"]["hasNextPage"]:
            return (time.perf_counter() - started) * 1000, pages, changes
        after = versions["pageInfo"]["endCursor"]


def _timed(
    client: httpx.Client, query: str, variables: dict[str, Any], samples: int = SAMPLES
) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        graphql_data(client, "/graphql", query, variables)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _verify(client: httpx.Client, name: str) -> str:
    """The best of three verifications (every version, status change, audit event and the
    signed checkpoint), or how the first one failed (and after how long)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        try:
            result = graphql_data(client, "/graphql", VERIFY, {"n": name})["verifyCard"]
        except RuntimeError as error:
            elapsed = time.perf_counter() - started
            code = error.args[0][0]["extensions"]["code"]
            return f"fails: {code} after {elapsed:.1f} s"
        times.append((time.perf_counter() - started) * 1000)
        if not result["valid"]:
            return f"INVALID: {result['firstInvalidRecord']}: {result['reason']}"
    checked = f"{result['auditEventsChecked']:,} events, {result['checkpointsChecked']} checkpoint"
    return f"{min(times):.0f} ms ({checked})"


def _as_of(client: httpx.Client, name: str) -> str:
    """The card as of random instants of its history: latency, and whether each answer is the
    version created last by then (versions 2 on were created STEP apart)."""
    first = graphql_data(
        client,
        "/graphql",
        "query($n: String!) { card(name: $n) { version(number: 2) { createdAt } "
        "versions { totalCount } } }",
        {"n": name},
    )["card"]
    start = datetime.fromisoformat(first["version"]["createdAt"])
    total = first["versions"]["totalCount"]
    rng, times, wrong = random.Random(1), [], 0
    for _ in range(SAMPLES):
        number = rng.randrange(2, total + 1)
        at = start + STEP * (number - 2) + STEP / 2
        started = time.perf_counter()
        card = graphql_data(client, "/graphql", AS_OF, {"n": name, "at": at.isoformat()})
        times.append((time.perf_counter() - started) * 1000)
        wrong += card["card"]["latestVersion"]["number"] != number
    took = summary(times)
    return f"p50 {took['p50']:.1f} ms, p95 {took['p95']:.1f} ms ({wrong} wrong of {SAMPLES})"


def main() -> None:
    rows = []
    names = {total: f"history-{total}" for total in SIZES}
    with stack() as running:
        settings = running.settings
        _, key = asyncio.run(issue_api_key(settings, "bench", Role.ADMIN, "bench"))
        _seed(settings, names)
        headers = {"Authorization": f"Bearer {key}"}
        with (
            api_process(settings),
            httpx.Client(base_url=settings.base_url, headers=headers, timeout=600) as client,
        ):
            total_ms, pages, changes = _page_through(client, names[1_000])
            page = summary(pages)
            rows.append(
                Row(
                    "every diff of a 1,000-version card (~27 KB each), 100 a page",
                    f"{total_ms:.0f} ms in all; a page p50 {page['p50']:.0f} ms, "
                    f"p95 {page['p95']:.0f} ms",
                    f"{changes:,} changes",
                )
            )
            for total, name in names.items():
                whole = summary(_timed(client, WHOLE, {"n": name, "to": total}))
                rows.append(
                    Row(
                        f"versionDiff(from: 1, to: {total:,})",
                        f"p50 {whole['p50']:.1f} ms, p95 {whole['p95']:.1f} ms",
                    )
                )
                rows.append(Row(f"verifyCard of {total:,} versions", _verify(client, name)))
                rows.append(Row(f"card(asOf:) of {total:,} versions", _as_of(client, name)))
    report("history", rows)


if __name__ == "__main__":
    main()
