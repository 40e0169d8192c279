"""HTTP load, side by side in one run: cardgraph reads and writes, the framework and GraphQL
ceilings, and the MLflow registry server doing the same work. Uses wrk (installed if missing).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncio

from bench.stack import ROOT, api_process, env_for, report, stack
from cardgraph.access.models import Role
from cardgraph.cli import issue_api_key
from cardgraph.embedded import free_port

DURATION_S = 5
CONNECTIONS = (1, 8, 32)
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
DESCRIPTION = "x" * 10_000


def ensure_wrk() -> str:
    """wrk, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL
        )
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def ensure_mlflow() -> Path:
    """MLflow in its own virtualenv (never in cardgraph's)."""
    binary = MLFLOW_VENV / "bin" / "mlflow"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run(
            [str(MLFLOW_VENV / "bin" / "pip"), "install", "-q", "mlflow==3.18.0"], check=True
        )
    return binary


def _lua(method: str, body: str | None, headers: dict[str, str], vary: bool) -> Path:
    """A wrk script sending one request shape (with a counter in the body when `vary`)."""
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    if body is None:
        script = f'wrk.method = "{method}"\n{header_lines}'
    elif not vary:
        script = f'wrk.method = "{method}"\nwrk.body = {json.dumps(body)}\n{header_lines}'
    else:
        script = (
            f'wrk.method = "{method}"\n{header_lines}counter = 0\n'
            f"template = {json.dumps(body)}\n"
            "request = function()\n  counter = counter + 1\n"
            '  local b = string.gsub(template, "COUNTER", tostring(counter) .. '
            "tostring(math.random(1, 1000000000)))\n"
            "  return wrk.format(nil, nil, nil, b)\nend\n"
        )
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(script)
    return path


def wrk(binary: str, url: str, connections: int, script: Path) -> dict[str, float]:
    """Requests per second and p50/p99 latency (ms) of one wrk run."""
    threads = min(2, connections)
    out = subprocess.run(
        [
            binary,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{DURATION_S}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if match is None:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return float(match.group(1)) * scale

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


@contextmanager
def process(
    args: list[str], url: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[None]:
    """A server process, ready when `url` answers."""
    with tempfile.TemporaryFile() as log:
        yield from _run_process(args, url, env, cwd, log)


def _run_process(
    args: list[str], url: str, env: dict[str, str] | None, cwd: Path, log: Any
) -> Iterator[None]:
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode()[-2000:]) from None
                time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def _fmt(result: dict[str, float]) -> str:
    text = f"{result['rps']:8.0f} req/s  p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms"
    return text + (f"  ({result['errors']:.0f} errors)" if result["errors"] else "")


def main() -> None:
    """Measure everything in one run and print one table."""
    binary = ensure_wrk()
    mlflow = ensure_mlflow()
    rows: list[tuple[str, str]] = []
    results: dict[str, dict[str, float]] = {}
    with stack() as running:
        settings = running.settings
        _, key = asyncio.run(issue_api_key(settings, "bench", Role.ADMIN, "bench"))
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with api_process(settings):
            base = settings.base_url
            content = {
                "model_overview": {"model_description": DESCRIPTION[:1000]},
                "intended_uses": {"risk_rating": "Low", "intended_uses": "benchmark"},
                "additional_information": {
                    "custom_details": {f"k{i}": "v" * 900 for i in range(10)}
                },
            }
            create = (
                'mutation($c: JSON) { createCard(input: {name: "bench-card", '
                "contentJson: $c}) { number } }"
            )
            httpx.post(
                f"{base}/graphql", headers=auth, json={"query": create, "variables": {"c": content}}
            ).raise_for_status()
            read_latest = json.dumps(
                {"query": '{ card(name: "bench-card") { latestVersion { contentJson } } }'}
            )
            read_v1 = json.dumps(
                {"query": '{ card(name: "bench-card") { version(number: 1) { contentJson } } }'}
            )
            write_content = dict(content)
            write_content["business_details"] = {"business_problem": "COUNTER"}
            write = json.dumps(
                {
                    "query": "mutation($c: JSON) { updateCardContent(input: {name: "
                    '"bench-card", contentJson: $c}) { number } }',
                    "variables": {"c": write_content},
                }
            )
            for c in CONNECTIONS:
                results[f"cardgraph read latest c={c}"] = wrk(
                    binary, f"{base}/graphql", c, _lua("POST", read_latest, auth, False)
                )
                results[f"cardgraph read version c={c}"] = wrk(
                    binary, f"{base}/graphql", c, _lua("POST", read_v1, auth, False)
                )
                results[f"cardgraph write 10 KB c={c}"] = wrk(
                    binary, f"{base}/graphql", c, _lua("POST", write, auth, True)
                )
        port = free_port()
        with process(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.ceiling_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            f"http://127.0.0.1:{port}/bare",
            env=env_for(settings),
        ):
            for c in CONNECTIONS:
                results[f"ceiling bare Starlette c={c}"] = wrk(
                    binary, f"http://127.0.0.1:{port}/bare", c, _lua("GET", None, {}, False)
                )
                results[f"ceiling trivial strawberry c={c}"] = wrk(
                    binary,
                    f"http://127.0.0.1:{port}/graphql",
                    c,
                    _lua(
                        "POST",
                        json.dumps({"query": "{ hello }"}),
                        {"Content-Type": "application/json"},
                        False,
                    ),
                )
    store = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    port = free_port()
    mlflow_url = f"http://127.0.0.1:{port}"
    with process(
        [
            str(mlflow),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{store}/mlflow.db",
            "--workers",
            "1",
        ],
        f"{mlflow_url}/health",
        cwd=store,
    ):
        api = f"{mlflow_url}/api/2.0/mlflow"
        httpx.post(f"{api}/registered-models/create", json={"name": "bench"}).raise_for_status()
        httpx.post(
            f"{api}/model-versions/create",
            json={
                "name": "bench",
                "source": "s3://bench/model",
                "description": DESCRIPTION,
            },
        ).raise_for_status()
        headers = {"Content-Type": "application/json"}
        for c in CONNECTIONS:
            results[f"MLflow model-versions/get c={c}"] = wrk(
                binary,
                f"{api}/model-versions/get?name=bench&version=1",
                c,
                _lua("GET", None, {}, False),
            )
            results[f"MLflow model-versions/create c={c}"] = wrk(
                binary,
                f"{api}/model-versions/create",
                c,
                _lua(
                    "POST",
                    json.dumps(
                        {
                            "name": "bench",
                            "source": "s3://bench/COUNTER",
                            "description": DESCRIPTION,
                        }
                    ),
                    headers,
                    True,
                ),
            )
            results[f"MLflow registered-models/search c={c}"] = wrk(
                binary,
                f"{api}/registered-models/search?max_results=100",
                c,
                _lua("GET", None, {}, False),
            )
    for name, result in results.items():
        rows.append((name, _fmt(result)))
    for c in CONNECTIONS:
        read = results[f"cardgraph read latest c={c}"]["rps"]
        peer = results[f"MLflow model-versions/get c={c}"]["rps"]
        ceiling = results[f"ceiling trivial strawberry c={c}"]["rps"]
        write = results[f"cardgraph write 10 KB c={c}"]["rps"]
        peer_write = results[f"MLflow model-versions/create c={c}"]["rps"]
        rows.append((f"ratio read / MLflow get c={c}", f"{read / peer:.1f}x (target 15x)"))
        rows.append((f"ratio read / GraphQL ceiling c={c}", f"{read / ceiling:.0%} (target 60%)"))
        rows.append(
            (f"ratio write / MLflow create c={c}", f"{write / peer_write:.1f}x (target 3x)")
        )
    report("http_load", rows)


if __name__ == "__main__":
    main()
