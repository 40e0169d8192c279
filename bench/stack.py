"""Benchmark helpers: embedded servers, an API process, worker processes, and result tables."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from cardgraph.cli import child_env, worker_command
from cardgraph.embedded import EmbeddedServer, free_port, start_mongodb, start_redis
from cardgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of `values`."""
    return {
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
    }


@dataclass(frozen=True)
class Row:
    """One figure: cardgraph's value, the peer's or ceiling's, their ratio and the target."""

    figure: str
    cardgraph: str
    reference: str = ""
    ratio: str = ""
    target: str = ""


def graphql_data(
    client: httpx.Client, url: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """POST one GraphQL operation; its data, or RuntimeError(errors) when it has errors."""
    response = client.post(url, json={"query": query, "variables": variables})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    data: dict[str, Any] = body["data"]
    return data


def print_table(title: str, rows: list[Row]) -> None:
    """Print rows as an aligned table."""
    header = Row("figure", "cardgraph", "peer or ceiling", "ratio", "target")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in Row.__dataclass_fields__]
    print(f"\n{title}")
    for row in table:
        cells = [
            getattr(row, f).ljust(w) for f, w in zip(Row.__dataclass_fields__, widths, strict=True)
        ]
        print("  " + "  ".join(cells).rstrip())


def report(name: str, rows: list[Row]) -> None:
    """Print a benchmark's rows and save them as JSON under bench/results/."""
    print_table(name, rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))


@dataclass
class Stack:
    """Servers and the settings that point at them."""

    settings: Settings
    servers: list[EmbeddedServer]


@contextmanager
def stack() -> Iterator[Stack]:
    """Fresh in-memory SecantusDB and Valkey, and settings for them."""
    mongo, redis = start_mongodb(None), start_redis(None)
    data_dir = Path(tempfile.mkdtemp(prefix="cardgraph-bench-"))
    port = free_port()
    settings = Settings(
        mongodb_url=mongo.url,
        redis_url=redis.url,
        data_dir=data_dir,
        port=port,
        mongodb_database="bench",
        graphql_ide=False,
    )
    try:
        yield Stack(settings, [mongo, redis])
    finally:
        for server in (redis, mongo):
            server.stop()


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for child processes using `settings`."""
    quiet = settings.model_copy(update={"log_level": "WARNING"})
    # This tree's own code, even when another checkout is the one installed.
    return {**child_env(quiet), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}


@contextmanager
def api_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """`cardgraph serve` in its own process, ready on `settings.port`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cardgraph.cli", "serve"], env=env_for(settings), cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{settings.base_url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(20)


@contextmanager
def worker_process(settings: Settings, concurrency: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker with `concurrency` processes, ready to consume."""
    log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
    with log.open("wb") as sink:
        command = worker_command(
            settings.model_copy(update={"worker_concurrency": concurrency, "log_level": "INFO"})
        )
        process = subprocess.Popen(
            command, env=env_for(settings), cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(30)
        log.unlink(missing_ok=True)


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
