"""A warm card list with every scalar field of a card and its latest version: `cards(first:
100)` through the HTTP API (p50 and the API process's CPU per request), then the same list
in-process under cProfile (function calls per list, and where the time goes)."""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seeding import create_cards, seeding
from bench.stack import Row, api_process, report, stack
from cardgraph.app import create_app
from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings

CARDS = 100
SAMPLES = 200
PROFILED = 50
LIST = (
    "{ cards(first: 100) { edges { node { name arn status riskRating createdAt kmsKeyId "
    "createdBy updatedAt latestVersion { number status contentSha256 chainSha256 "
    "previousSha256 createdAt createdBy source statusHistory { fromStatus toStatus changedBy "
    "changedAt } } } } } }"
)


def _seed(settings: Settings) -> None:
    async def run() -> None:
        async with seeding(settings) as (services, _):
            await create_cards(
                services,
                [f"list-{i:03d}" for i in range(CARDS)],
                lambda i: {"intended_uses": {"risk_rating": ("High", "Low")[i % 2]}},
            )

    asyncio.run(run())


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _over_http(settings: Settings, key: str, pid: int) -> tuple[float, float]:
    """p50 latency (ms) and API CPU per request (ms) of the warm list."""
    headers = {"authorization": f"Bearer {key}"}
    url = f"{settings.base_url}/graphql"
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(20):  # warm the caches and the interpreter
            assert "errors" not in client.post(url, json={"query": LIST}).json()
        cpu_before = _cpu_s(pid)
        latencies = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            client.post(url, json={"query": LIST}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        cpu_ms = (_cpu_s(pid) - cpu_before) * 1000 / SAMPLES
    return statistics.median(latencies), cpu_ms


def _profiled(settings: Settings, key: str) -> tuple[int, float, str]:
    """Function calls per list, profiled ms per list, and the top functions by own time."""

    async def run() -> tuple[int, float, str]:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {key}"}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as c,
        ):
            for _ in range(20):
                assert "errors" not in (await c.post("/graphql", json={"query": LIST})).json()
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(PROFILED):
                (await c.post("/graphql", json={"query": LIST})).raise_for_status()
            profile.disable()
        stats = pstats.Stats(profile, stream=(out := io.StringIO()))
        stats.sort_stats("tottime").print_stats(12)
        calls = int(stats.total_calls) // PROFILED  # type: ignore[attr-defined]
        return calls, stats.total_tt * 1000 / PROFILED, out.getvalue()  # type: ignore[attr-defined]

    return asyncio.run(run())


def main() -> None:
    with stack() as servers:
        settings = servers.settings
        _seed(settings)
        _, key = asyncio.run(issue_api_key(settings, "bench", Role.READER, "bench"))
        with api_process(settings) as api:
            p50, cpu_ms = _over_http(settings, key, api.pid)
        calls, profiled_ms, top = _profiled(settings, key)
    print(top)
    report(
        "list_fields",
        [
            Row("cards(first: 100), 16 scalar fields a card, HTTP p50", f"{p50:.1f} ms"),
            Row("API process CPU per list", f"{cpu_ms:.1f} ms"),
            Row("function calls per list (cProfile, in-process)", f"{calls:,}"),
            Row("profiled time per list (cProfile)", f"{profiled_ms:.1f} ms"),
        ],
    )


if __name__ == "__main__":
    main()
