"""The peer: MLflow's model registry server (SQLite backend, one worker) in its own virtualenv."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.stack import ROOT
from bench.wrk import process
from cardgraph.embedded import free_port

# 3.17.2 is the newest MLflow 3.x whose dependencies the package index can satisfy.
MLFLOW_VERSION = "3.17.2"
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"


def ensure_mlflow() -> Path:
    """MLflow at the pinned version in its own virtualenv (never in cardgraph's)."""
    binary = MLFLOW_VENV / "bin" / "mlflow"
    pip = MLFLOW_VENV / "bin" / "pip"
    installed = (
        subprocess.run(
            [str(pip), "show", "mlflow"], capture_output=True, text=True, check=False
        ).stdout
        if pip.exists()
        else ""
    )
    if f"Version: {MLFLOW_VERSION}" not in installed:
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run([str(pip), "install", "-q", f"mlflow=={MLFLOW_VERSION}"], check=True)
    return binary


@contextmanager
def mlflow_registry() -> Iterator[str]:
    """A fresh MLflow tracking/registry server; yields its REST API base URL."""
    binary = ensure_mlflow()
    store = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(binary),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{store}/mlflow.db",
        "--workers",
        "1",
    ]
    with process(command, f"{base}/health", cwd=store):
        yield f"{base}/api/2.0/mlflow"


def create_models(api: str, names: list[str], threads: int = 8) -> None:
    """Register models by name (in parallel: only the seeding, never a measured figure)."""

    def create(chunk: list[str]) -> None:
        with httpx.Client(timeout=60) as client:
            for name in chunk:
                client.post(f"{api}/registered-models/create", json={"name": name})

    chunks = [names[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, chunks))
