"""Longest event-loop stall of a real API process under the worst requests its limits admit.

A prober thread asks /healthz every 2 ms over one keep-alive connection; a /healthz answer is
instant unless the API's event loop is held, so the slowest probe overlapping a request is
how long that request held the loop (plus a loopback round trip, shown as the idle figure).
Each attack is sent REPEATS times; the median and worst stall and the answer are printed.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from graphql import get_introspection_query, parse, validate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seeding import create_cards, seeding
from bench.stack import Row, api_process, report, stack
from cardgraph.cli import issue_api_key
from cardgraph.graphql.document_size import measure_document
from cardgraph.graphql.query_cost import PageSizes, operation_cost
from cardgraph.graphql.schema import build_schema
from cardgraph.principals import Role
from cardgraph.settings import Settings

REPEATS = 5
HEAVY_CARDS = 100
TARGET_MS = 50.0
# The content that is slowest to validate, store and read: one linear graph of ~16,500
# points fills the 100,000-character cap with small values.
HEAVY_POINTS = 16_400
HEAVY_CONTENT: dict[str, Any] = {
    "evaluation_details": [
        {
            "name": "eval",
            "metric_groups": [
                {
                    "name": "curve",
                    "metric_data": [
                        {"name": "roc", "type": "linear_graph", "value": [[0, 1]] * HEAVY_POINTS}
                    ],
                }
            ],
        }
    ]
}
MID_GROUP = {
    "name": "curve",
    "metric_data": [{"name": "roc", "type": "linear_graph", "value": [[0, 1]] * 40}],
}
LIGHT_CONTENT = {"model_overview": {"model_name": "light", "model_description": "small"}}
CHAIN = [
    'card(name: "light")',
    "latestVersion",
    "content",
    "modelOverview",
    "inferenceEnvironment",
]
LEAVES = ["name", "number", "modelOverview { modelName }", "modelName", "containerImage"]


class Prober(threading.Thread):
    """Times /healthz every 2 ms; `worst(t0, t1)` is the slowest probe overlapping [t0, t1]."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.probes: list[tuple[float, float]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            start = time.perf_counter()
            self.client.get("/healthz")
            self.probes.append((start, time.perf_counter()))
            time.sleep(0.002)

    def worst(self, t0: float, t1: float) -> float:
        overlapping = [end - start for start, end in self.probes if end >= t0 and start <= t1]
        return 1000 * max(overlapping, default=0.0)


def repeated(shape: tuple[int, ...]) -> str:
    """A document nesting CHAIN, each level's field repeated as `shape` says."""
    inner = ""
    for level in reversed(range(len(shape))):
        body = inner or LEAVES[level]
        inner = " ".join([f"{CHAIN[level]} {{ {body} }}"] * shape[level])
    return f"{{ {inner} }}"


def worst_validation_document(settings: Settings) -> str:
    """The nesting of repeated fields, within the field and repeat limits, slowest to validate."""
    schema = build_schema(settings)._schema
    limit, most = settings.graphql_max_field_repeats, settings.graphql_max_fields
    best, worst = 0.0, ""
    for shape in itertools.product(range(1, limit + 1), repeat=len(CHAIN)):
        tree = parse(repeated(shape))
        size = measure_document(tree)
        if not 0.9 * most <= size.fields <= most or size.repeats > limit:
            continue
        start = time.perf_counter()
        validate(schema, tree)
        took = time.perf_counter() - start
        if took > best:
            best, worst = took, repeated(shape)
    return worst


def costliest_listing(settings: Settings) -> str:
    """The most aliases of a 100-card listing (six fields a card) the cost limit admits."""
    schema = build_schema(settings)._schema
    listing = "edges { node { name status riskRating updatedAt latestVersion { number status } } }"
    pages = PageSizes(settings.page_size_default, settings.page_size_max)
    document = ""
    for count in range(1, settings.graphql_max_aliases + 1):
        aliases = " ".join(f"a{i}: cards(first: 100) {{ {listing} }}" for i in range(count))
        candidate = f"{{ {aliases} }}"
        if operation_cost(schema, parse(candidate), None, {}, pages) > settings.graphql_max_cost:
            break
        document = candidate
    return document


def attacks(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, document, variables) of every attack."""
    statuses = ", ".join(["DRAFT"] * (settings.graphql_max_tokens - 30))
    aliases = settings.graphql_max_aliases
    fragments = (
        " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
        + ' fragment F40 on Query { card(name: "heavy-000") { name } }'
    )
    contents = " ".join(
        f"a{i}: cards(first: 100) {{ edges {{ node {{ latestVersion {{ contentJson }} }} }} }}"
        for i in range(aliases)
    )
    typed = (
        "content { evaluationDetails { metricGroups { metricData { "
        "... on LinearGraphMetric { points } } } } }"
    )
    values = settings.graphql_max_typed_values
    create = "mutation($n: String!, $c: JSON) { createCard(input: {name: $n, contentJson: $c}) "
    return [
        (
            "max tokens: a literal list",
            f"{{ cards(filter: {{status: [{statuses}]}}) {{ totalCount }} }}",
            {},
        ),
        ("max fields, repeats nested", worst_validation_document(settings), {}),
        ("fragments: 2^40 expansion", f"{{ ...F0 }} {fragments}", {}),
        ("costliest listing admitted", costliest_listing(settings), {}),
        (f"{aliases} aliases x 100 contentJson", f"{{ {contents} }}", {}),
        (
            "100 heavy contentJson",
            "{ cards(first: 100) { edges { node { latestVersion { contentJson } } } } }",
            {},
        ),
        (
            "typed content, heavy card",
            f'{{ card(name: "heavy-001") {{ latestVersion {{ {typed} }} }} }}',
            {},
        ),
        (
            "typed content, 50 cards",
            '{ cards(first: 50, filter: {nameContains: "mid"}) '
            f"{{ edges {{ node {{ latestVersion {{ {typed} }} }} }} }} }}",
            {},
        ),
        (
            f"typed content write, {values} values",
            "mutation($n: String!, $c: CardContentInput) "
            "{ createCard(input: {name: $n, content: $c}) { number } }",
            {"n": "typed-{i}", "c": _typed_points(values)},
        ),
        (
            "variables: 900 KB JSON",
            create + "{ number } }",
            {"n": "pad-{i}", "c": {"x": "y" * 900_000}},
        ),
        ("big valid card write", create + "{ number } }", {"n": "write-{i}", "c": HEAVY_CONTENT}),
        ("introspection", get_introspection_query(descriptions=True), {}),
    ]


def _typed_points(values: int) -> dict[str, Any]:
    """Typed content whose variables hold about `values` values (a curve's points)."""
    points = [[0, 1]] * ((values - 13) // 3)  # 13: the name variable and the containers
    metric = {"name": "roc", "type": "LINEAR_GRAPH", "points": points}
    group = {"name": "curve", "metricData": [metric]}
    return {"evaluationDetails": [{"name": "eval", "metricGroups": [group]}]}


def run_attack(
    client: httpx.Client, prober: Prober, document: str, variables: dict[str, Any], index: int
) -> tuple[float, float, str]:
    """Send one attack; return (worst stall ms, request ms, outcome)."""
    variables = {k: (v.format(i=index) if isinstance(v, str) else v) for k, v in variables.items()}
    # A comment moves every position, so neither the parser nor the validation cache helps.
    query = f"#{'x' * index}\n{document}"
    start = time.perf_counter()
    response = client.post("/graphql", json={"query": query, "variables": variables})
    end = time.perf_counter()
    time.sleep(0.05)  # let the probe that waited on this request finish
    body = response.json()
    errors = body.get("errors") or []
    outcome = f"{response.status_code} {errors[0]['extensions'].get('code') if errors else 'ok'}"
    return prober.worst(start, end), 1000 * (end - start), outcome


def main() -> None:
    """Measure and print."""
    with stack() as running:
        settings = running.settings.model_copy(update={"graphql_introspection": True})
        asyncio.run(_seed(settings))
        key = asyncio.run(issue_api_key(settings, "bench-admin", Role.ADMIN, "bench"))[1]
        with api_process(settings):
            rows = _measure(settings, key)
    report("event_loop_hold", rows)


async def _seed(settings: Settings) -> None:
    async with seeding(settings) as (services, _):
        names = [f"heavy-{i:03d}" for i in range(HEAVY_CARDS)]
        await create_cards(services, names, lambda _: HEAVY_CONTENT, concurrency=4)
        # Cards whose typed content is just within the per-operation budget of values.
        mid = {**HEAVY_CONTENT}
        mid["evaluation_details"] = [
            {**HEAVY_CONTENT["evaluation_details"][0], "metric_groups": [MID_GROUP]}
        ]
        mids = [f"mid-{i:03d}" for i in range(HEAVY_CARDS)]
        await create_cards(services, ["light", *mids], lambda i: mid if i else LIGHT_CONTENT)


def _measure(settings: Settings, key: str) -> list[Row]:
    prober = Prober(settings.base_url)
    prober.start()
    client = httpx.Client(
        base_url=settings.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120
    )
    time.sleep(3.0)
    idle = prober.worst(time.perf_counter() - 2.0, time.perf_counter())
    rows = [Row("idle /healthz (slowest probe)", f"{idle:.0f} ms", target=f"≤ {TARGET_MS:.0f} ms")]
    for name, document, variables in attacks(settings):
        results = [run_attack(client, prober, document, variables, i) for i in range(REPEATS)]
        stalls = [r[0] for r in results]
        print(f"{name}: stalls {[round(x) for x in stalls]} ms, {results[-1][2]}", file=sys.stderr)
        rows.append(
            Row(
                f"{name} -> {results[-1][2]}",
                f"{statistics.median(stalls):.0f} ms (worst {max(stalls):.0f})",
                f"request {statistics.median(r[1] for r in results):.0f} ms",
                target=f"≤ {TARGET_MS:.0f} ms",
            )
        )
    prober.running = False
    prober.join()
    client.close()
    return rows


if __name__ == "__main__":
    main()
