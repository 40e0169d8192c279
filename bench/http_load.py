"""HTTP figures side by side in one run on one machine: cardgraph's reads, writes, lists and
growth; MLflow's registry doing the same work; and the framework, GraphQL and storage
ceilings. wrk is the load generator throughout (installed when missing)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import storage_ceiling, write_floor
from bench.mlflow_peer import create_models, mlflow_registry
from bench.seeding import create_cards, grow_history, seeding
from bench.stack import Row, api_process, env_for, percentile, report, stack
from bench.wrk import Load, ensure_wrk, process, run, script
from cardgraph.cli import issue_api_key
from cardgraph.embedded import free_port
from cardgraph.principals import Role
from cardgraph.settings import Settings

CONNECTIONS = (1, 8, 32)
GROWTH_SECONDS = 3
DESCRIPTION = "x" * 10_000
FLEET = 10_000
VERSION_SIZES = (10, 1_000, 100_000)
RISKS = ("High", "Medium", "Low", "Unknown")
CONTENT: dict[str, Any] = {
    "model_overview": {"model_description": DESCRIPTION[:1000]},
    "intended_uses": {"risk_rating": "Low", "intended_uses": "benchmark"},
    "additional_information": {"custom_details": {f"k{i}": "v" * 900 for i in range(10)}},
}
WRITE_FLOOR = "bulkWrite of one version write (10 KB version, summary, audit event), one client"
FILTER_HIGH = ", filter: {riskRating: [HIGH]}"
LIST = (
    "{ cards(first: 100%s) { edges { node { name status riskRating "
    "latestVersion { number contentSha256 } } } } }"
)


class Api:
    """wrk request scripts against one cardgraph API."""

    def __init__(self, wrk: str, base: str, key: str) -> None:
        self.wrk = wrk
        self.url = f"{base}/graphql"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def query(self, query: str, connections: int, seconds: float = 5) -> Load:
        """Load one query."""
        lua = script("POST", json.dumps({"query": query}), self.headers)
        return run(self.wrk, self.url, connections, lua, seconds)

    def write(self, name: str, connections: int, seconds: float = 5) -> Load:
        """Load `updateCardContent` with ~10 KB of new content per request."""
        content = {**CONTENT, "business_details": {"business_problem": "COUNTER"}}
        body = json.dumps(
            {
                "query": "mutation($c: JSON) { updateCardContent(input: {name: "
                f'"{name}", contentJson: $c}}) {{ number }} }}',
                "variables": {"c": content},
            }
        )
        return run(
            self.wrk, self.url, connections, script("POST", body, self.headers, True), seconds
        )


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.1f}x"


def _write_request(name: str, marker: str) -> dict[str, Any]:
    content = {**CONTENT, "business_details": {"business_problem": marker}}
    return {
        "query": "mutation($c: JSON) { updateCardContent(input: {name: "
        f'"{name}", contentJson: $c}}) {{ number }} }}',
        "variables": {"c": content},
    }


def _round_trips_per_write(settings: Settings, api: Api, name: str, writes: int = 300) -> str:
    """Database operations per version write, from the server's own operation counters."""
    time.sleep(2)  # requests a load run left queued finish before counting starts
    with httpx.Client(headers=api.headers, timeout=30) as client:
        # What one probe costs (its connection set-up and serverStatus), to leave it out.
        first = storage_ceiling.operation_counts(settings)
        before = storage_ceiling.operation_counts(settings)
        for i in range(writes):
            client.post(api.url, json=_write_request(name, f"rt{i}")).raise_for_status()
        after = storage_ceiling.operation_counts(settings)
    per_write = {
        k: (after[k] - 2 * before[k] + first[k]) / writes
        for k in after
        if after[k] - 2 * before[k] + first[k] != 0
    }
    requests = per_write.pop("requests", 0.0)
    operations = " + ".join(f"{v:.2f} {k}" for k, v in sorted(per_write.items()))
    return f"{requests:.2f} round trips ({operations})"


def _cold_list_ms(api: Api, query: str, writer: str, samples: int = 20) -> float:
    """p50 of a list request right after a write has emptied every cached page."""
    times = []
    with httpx.Client(headers=api.headers, timeout=30) as client:
        for i in range(samples):
            client.post(api.url, json=_write_request(writer, f"cold{i}")).raise_for_status()
            started = time.perf_counter()
            client.post(api.url, json={"query": query}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5)


def cardgraph_figures(settings: Settings, wrk: str, key: str) -> dict[str, Any]:
    """Every cardgraph figure, against one API process."""
    figures: dict[str, Any] = {}
    with api_process(settings):
        api = Api(wrk, settings.base_url, key)
        httpx.post(
            api.url,
            headers=api.headers,
            json={
                "query": 'mutation($c: JSON) { createCard(input: {name: "bench-card", '
                "contentJson: $c}) { number } }",
                "variables": {"c": CONTENT},
            },
        ).raise_for_status()
        for c in CONNECTIONS:
            figures[f"read latest c={c}"] = api.query(
                '{ card(name: "bench-card") { latestVersion { contentJson } } }', c
            )
            figures[f"read version c={c}"] = api.query(
                '{ card(name: "bench-card") { version(number: 1) { contentJson } } }', c
            )
        for c in CONNECTIONS:
            figures[f"write c={c}"] = api.write("bench-card", c)
        figures["round trips"] = _round_trips_per_write(settings, api, "bench-card")
        figures["storage insert at start"] = storage_ceiling.insert_rate(settings)
        figures.update(_growth(settings, api))
    return figures


def _growth(settings: Settings, api: Api) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    latest = '{ card(name: "%s") { latestVersion { contentJson } } }'

    async def make_cards(names: list[str]) -> None:
        async with seeding(settings) as (services, _):
            await create_cards(
                services,
                names,
                lambda i: {**CONTENT, "intended_uses": {"risk_rating": RISKS[i % 4]}},
            )

    async def make_history(name: str, total: int) -> None:
        async with seeding(settings) as (services, repository):
            await create_cards(services, [name], lambda _: {})
            await grow_history(services, repository, name, total)

    def measure(label: str, name: str) -> None:
        # The storage server's own insert rate at this moment, to tell its growth from ours.
        figures[f"{label} storage"] = storage_ceiling.insert_rate(settings)
        figures[f"{label} read"] = api.query(latest % name, 1, GROWTH_SECONDS)
        figures[f"{label} write"] = api.write(name, 1, GROWTH_SECONDS)
        figures[f"{label} operations"] = _round_trips_per_write(settings, api, name, 50)

    for size in VERSION_SIZES:
        name = f"history-{size}"
        asyncio.run(make_history(name, size))
        measure(f"history {size}", name)
    fleet = [f"fleet-{i:05d}" for i in range(FLEET)]
    asyncio.run(make_cards(fleet[:100]))
    measure("fleet 100", fleet[0])
    asyncio.run(make_cards(fleet[100:]))
    measure(f"fleet {FLEET}", fleet[1])
    for key, query in (("list", LIST % ""), ("list high", LIST % FILTER_HIGH)):
        for c in (1, 8):
            figures[f"{key} c={c}"] = api.query(query, c)
        figures[f"{key} cold"] = _cold_list_ms(api, query, fleet[2])
    return figures


def ceiling_figures(settings: Settings, wrk: str) -> dict[str, Load]:
    """The bare Starlette endpoint and a trivial query with cardgraph's schema extensions."""
    figures: dict[str, Load] = {}
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.ceiling_app:app", "--port", str(port)]
    with process(
        [*command, "--log-level", "warning"], f"http://127.0.0.1:{port}/bare", env=env_for(settings)
    ):
        for c in CONNECTIONS:
            figures[f"bare c={c}"] = run(
                wrk, f"http://127.0.0.1:{port}/bare", c, script("GET", None, {})
            )
            figures[f"graphql c={c}"] = run(
                wrk,
                f"http://127.0.0.1:{port}/graphql",
                c,
                script(
                    "POST", json.dumps({"query": "{ hello }"}), {"Content-Type": "application/json"}
                ),
            )
    return figures


def mlflow_figures(wrk: str) -> dict[str, Load]:
    """MLflow's registry doing the same work: get, create (10 KB description), search."""
    figures: dict[str, Load] = {}
    with mlflow_registry() as api:
        httpx.post(f"{api}/registered-models/create", json={"name": "bench"}).raise_for_status()
        httpx.post(
            f"{api}/model-versions/create",
            json={"name": "bench", "source": "s3://bench/model", "description": DESCRIPTION},
        ).raise_for_status()
        create = json.dumps(
            {"name": "bench", "source": "s3://bench/COUNTER", "description": DESCRIPTION}
        )
        headers = {"Content-Type": "application/json"}
        for c in CONNECTIONS:
            figures[f"get c={c}"] = run(
                wrk, f"{api}/model-versions/get?name=bench&version=1", c, script("GET", None, {})
            )
        for c in CONNECTIONS:
            figures[f"create c={c}"] = run(
                wrk, f"{api}/model-versions/create", c, script("POST", create, headers, True)
            )
        create_models(api, [f"fleet-{i:05d}" for i in range(FLEET - 1)])  # with "bench": 10,000
        for c in (1, 8):
            figures[f"search c={c}"] = run(
                wrk,
                f"{api}/registered-models/search?max_results=100",
                c,
                script("GET", None, {}),
            )
    return figures


def rows(
    cg: dict[str, Any], peer: dict[str, Load], top: dict[str, Load], storage: dict[str, float]
) -> list[Row]:
    """The table: every figure with its peer or ceiling, ratio and target."""
    out: list[Row] = []
    for c in CONNECTIONS:
        read, get = cg[f"read latest c={c}"], peer[f"get c={c}"]
        out.append(
            Row(
                f"read latestVersion, c={c}",
                read.text(),
                f"MLflow get {get.text()}",
                _ratio(read.rps, get.rps),
                ">= 15x",
            )
        )
    for c in CONNECTIONS:
        read, ceiling = cg[f"read latest c={c}"], top[f"graphql c={c}"]
        out.append(
            Row(
                f"read latestVersion vs GraphQL ceiling, c={c}",
                f"{read.rps:,.0f} req/s",
                f"trivial query {ceiling.text()}",
                f"{read.rps / ceiling.rps:.0%}",
                ">= 60%",
            )
        )
    for c in CONNECTIONS:
        read, get = cg[f"read version c={c}"], peer[f"get c={c}"]
        out.append(
            Row(
                f"read version(number: 1), c={c}",
                read.text(),
                f"MLflow get {get.text()}",
                _ratio(read.rps, get.rps),
                ">= 15x",
            )
        )
    p99 = cg["read latest c=32"].p99_ms
    out.append(Row("read latestVersion p99, c=32", f"{p99:.2f} ms", "", "", "<= 15 ms"))
    for c in CONNECTIONS:
        write, create = cg[f"write c={c}"], peer[f"create c={c}"]
        out.append(
            Row(
                f"write updateCardContent 10 KB, one card, c={c}",
                write.text(),
                f"MLflow create {create.text()}",
                _ratio(write.rps, create.rps),
                ">= 3x",
            )
        )
    write, create, floor = cg["write c=1"], peer["create c=1"], storage[WRITE_FLOOR]
    out.append(
        Row(
            "write updateCardContent, c=1, against the storage floor (its bulkWrite alone)",
            f"{write.rps:,.0f} req/s",
            f"{floor:,.0f} bulkWrites/s; 3x MLflow create would be {3 * create.rps:,.0f}/s",
            f"{write.rps / floor:.0%}",
        )
    )
    out.append(
        Row(
            "database round trips per version write (server's request and operation counters)",
            cg["round trips"],
            "",
            "",
            "<= 3 round trips",
        )
    )
    for key, label in (("list", "unfiltered"), ("list high", "risk HIGH")):
        for c in (1, 8):
            mine, search = cg[f"{key} c={c}"], peer[f"search c={c}"]
            out.append(
                Row(
                    f"list cards(first: 100) of {FLEET:,}, {label}, c={c}",
                    mine.text(),
                    f"MLflow registered-models/search {search.text()}",
                    _ratio(mine.rps, search.rps),
                )
            )
        cold, search = cg[f"{key} cold"], peer["search c=1"]
        out.append(
            Row(
                f"list cards(first: 100) of {FLEET:,}, {label}, right after a write",
                f"p50 {cold:.1f} ms",
                f"MLflow search p50 {search.p50_ms:.1f} ms",
                f"{search.p50_ms / cold:.1f}x",
            )
        )
    growth = [(f"history {size}", f"{size:,} versions of one card") for size in VERSION_SIZES]
    growth += [("fleet 100", "100 cards"), (f"fleet {FLEET}", f"{FLEET:,} cards")]
    bases = [growth[0]] * len(VERSION_SIZES) + [growth[-2]] * 2
    for kind in ("read", "write"):
        for (label, text), (base_label, base_text) in zip(growth, bases, strict=True):
            load, base = cg[f"{label} {kind}"], cg[f"{base_label} {kind}"]
            storage_now, storage_then = cg[f"{label} storage"], cg[f"{base_label} storage"]
            if kind == "write":
                text += f" ({cg[f'{label} operations']} per write)"
            out.append(
                Row(
                    f"growth: {kind} with {text}, c=1",
                    load.text(),
                    f"{base_text}: p50 {base.p50_ms:.2f} ms (raw 10 KB inserts then "
                    f"{storage_then:,.0f}/s, now {storage_now:,.0f}/s)",
                    f"{load.p50_ms / base.p50_ms:.2f}x p50",
                    "within 1.2x",
                )
            )
    for c in CONNECTIONS:
        bare = top[f"bare c={c}"]
        out.append(
            Row(
                f"framework ceiling: bare Starlette, c={c}",
                "",
                bare.text(),
                "",
                "> 10,000 req/s (wrk is not the bottleneck)",
            )
        )
    for label, value in storage.items():
        out.append(Row(f"storage ceiling: raw PyMongo {label}", "", f"{value:,.0f} ops/s"))
    out.append(
        Row(
            "storage ceiling: insert_one 10 KB, one client, fresh database",
            "",
            f"{cg['storage insert at start']:,.0f} ops/s",
        )
    )
    return out


def main() -> None:
    """Measure everything in one run and print one table."""
    wrk = ensure_wrk()
    with stack() as running:
        settings = running.settings
        _, key = asyncio.run(issue_api_key(settings, "bench", Role.ADMIN, "bench"))
        cg = cardgraph_figures(settings, wrk, key)
        top = ceiling_figures(settings, wrk)
        storage = storage_ceiling.measure(settings)
        storage[WRITE_FLOOR] = write_floor.rate(settings, CONTENT)
    peer = mlflow_figures(wrk)
    report("http_load", rows(cg, peer, top, storage))


if __name__ == "__main__":
    main()
