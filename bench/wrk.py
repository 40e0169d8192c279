"""The load generator: wrk (installed from Debian's packages when missing), its request
scripts, and server processes it is pointed at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stack import ROOT


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def text(self) -> str:
        """`1234 req/s (p50 0.41 / p99 1.20 ms)`."""
        errors = f", {self.errors} errors" if self.errors else ""
        return f"{self.rps:,.0f} req/s (p50 {self.p50_ms:.2f} / p99 {self.p99_ms:.2f} ms{errors})"


def ensure_wrk() -> str:
    """wrk, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL
        )
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def script(method: str, body: str | None, headers: dict[str, str], vary: bool = False) -> Path:
    """A wrk script sending one request shape (`COUNTER` in the body made unique when `vary`)."""
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    if body is None:
        text = f'wrk.method = "{method}"\n{header_lines}'
    elif not vary:
        text = f'wrk.method = "{method}"\nwrk.body = {json.dumps(body)}\n{header_lines}'
    else:
        text = (
            f'wrk.method = "{method}"\n{header_lines}counter = 0\n'
            f"template = {json.dumps(body)}\n"
            "request = function()\n  counter = counter + 1\n"
            '  local b = string.gsub(template, "COUNTER", tostring(counter) .. '
            "tostring(math.random(1, 1000000000)))\n"
            "  return wrk.format(nil, nil, nil, b)\nend\n"
        )
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(text)
    return path


def run(binary: str, url: str, connections: int, lua: Path, seconds: float = 5) -> Load:
    """One wrk run: requests per second and p50/p99 latency."""
    out = subprocess.run(
        [
            binary,
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(lua),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rate is None:
        raise RuntimeError(out)

    def percentile(p: str) -> float:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if match is None:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        float(rate.group(1)),
        percentile("50"),
        percentile("99"),
        int(errors.group(1)) if errors else 0,
    )


@contextmanager
def process(
    args: list[str], ready_url: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, ready once `ready_url` answers."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(ready_url, timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(log.read().decode()[-2000:]) from None
                    time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            proc.wait(30)
