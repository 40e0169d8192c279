"""`CARDGRAPH_LOG_FORMAT=json`: every line an API process or a worker writes to stderr is one
JSON object, naming the request or job it belongs to."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from cardgraph.cli import worker_command
from cardgraph.embedded import free_port
from cardgraph.jobs.names import IO_QUEUE
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.isolated_stack import QUALITY_FILE, isolated_settings, issue_key, wait_until
from tests.support.jobs_api import upload_metrics, wait_for_job
from tests.support.servers import GraphQLClient, running_api
from tests.support.workers import ROOT, worker_env


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a stderr capture, each parsed as JSON (any other line fails the test)."""
    lines = path.read_text().splitlines()
    assert lines, "nothing was logged"
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
    return entries


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_api_logs_json_lines_with_request_ids(settings: Settings, tmp_path: Path) -> None:
    served = settings.model_copy(update={"port": free_port(), "log_format": "json"})
    stderr = tmp_path / "api.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "cardgraph.cli", "serve"],
            cwd=ROOT,
            env=worker_env(served),
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{served.port}"
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    try:
        wait_until(lambda: _answers(url), "the API answers")
        response = httpx.post(
            f"{url}/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"X-Request-ID": request_id},
        )
        assert response.status_code == 401
    finally:
        _stop(process)
    entries = _json_lines(stderr)
    mine = [e for e in entries if e.get("request_id") == request_id]
    assert mine, entries[-5:]
    assert any(e["logger"] == "uvicorn.access" and "/graphql" in e["message"] for e in mine)
    assert any(e["logger"] == "uvicorn.error" for e in entries)  # uvicorn's own lines too


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_worker_logs_json_lines_with_job_ids(settings: Settings, tmp_path: Path) -> None:
    logged = isolated_settings(settings, 13, "cardgraph_json_logs", log_format="json")
    key = issue_key(logged, Role.ADMIN)
    stderr = tmp_path / "worker.stderr"
    command = worker_command(logged.model_copy(update={"log_level": "INFO"}), queues=(IO_QUEUE,))
    with stderr.open("wb") as sink:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=worker_env(logged),
            stdout=subprocess.DEVNULL,  # Celery's start-up banner; the log is on stderr
            stderr=sink,
            start_new_session=True,
        )
    try:
        wait_until(lambda: b" ready." in stderr.read_bytes(), "the worker is ready")
        with running_api(logged) as url, GraphQLClient(url, key) as admin:
            name = f"logged-{uuid.uuid4().hex[:8]}"
            create_card(admin, name, {})
            upload = upload_metrics(url, key, name, QUALITY_FILE.read_bytes())
            job_id = upload.json()["data"]["ingestMetricsFile"]["id"]
            assert wait_for_job(admin, job_id)["state"] == "SUCCEEDED"
    finally:
        _stop(worker)
    entries = _json_lines(stderr)
    of_job = [e for e in entries if e.get("job_id") == job_id]
    assert any("succeeded" in e["message"] for e in of_job), entries[-10:]
    assert all(e["task"] == "cardgraph.io.ingest_metrics" for e in of_job)
    assert any(e["logger"].startswith("celery") and "ready." in e["message"] for e in entries)
