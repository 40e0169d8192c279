"""docker-compose.yml's topology, natively: two API processes (`cardgraph serve`), an io
worker, a render worker and one beat, sharing MongoDB, Redis and one artifact directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from cardgraph.embedded import free_port
from cardgraph.jobs.names import IO_QUEUE, RENDER_QUEUE
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card, update_content
from tests.support.isolated_stack import QUALITY_FILE, isolated_settings, issue_key, wait_until
from tests.support.jobs_api import EXPORT_PDF, upload_metrics, wait_for_job
from tests.support.servers import GraphQLClient
from tests.support.workers import ROOT, WorkerProcess, worker_env

EVENTS = "subscription($name: String) { cardEvents(name: $name) { kind version jobId } }"


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _spawn(argv: list[str], settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a process with `settings`, its output (both streams) going to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            argv, cwd=ROOT, env=worker_env(settings), stdout=log, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def topology(settings: Settings, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """The stack, each part its own process; JSON logs say which worker ran which job."""
    shared: Path = tmp_path_factory.mktemp("topology")
    stack = isolated_settings(
        settings, 11, "cardgraph_topology", data_dir=shared / "data", log_format="json"
    )
    processes: list[subprocess.Popen[bytes]] = []
    workers: list[WorkerProcess] = []
    try:
        urls = []
        for index in (1, 2):
            api = stack.model_copy(update={"port": free_port()})
            serve = [sys.executable, "-m", "cardgraph.cli", "serve"]
            processes.append(_spawn(serve, api, shared / f"api{index}.log"))
            urls.append(f"http://127.0.0.1:{api.port}")
        schedule = str(shared / "beat-schedule")
        beat = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--schedule"]
        processes.append(
            _spawn([*beat, schedule, "--loglevel", "INFO"], stack, shared / "beat.log")
        )
        for queue in (IO_QUEUE, RENDER_QUEUE):
            workers.append(
                WorkerProcess(stack, shared / f"{queue}.log", concurrency=1, queues=(queue,))
            )
        for url in urls:
            wait_until(lambda url=url: _answers(url), f"{url} is ready")
        yield {"settings": stack, "urls": urls, "dir": shared, "key": issue_key(stack, Role.ADMIN)}
    finally:
        for worker in workers:
            worker.stop()
        for process in processes:
            _stop(process)


def _entries(log: Path) -> list[dict[str, Any]]:
    """A worker's JSON log lines (its start-up banner, on stdout, is text)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _jobs_in(log: Path) -> dict[str, set[str]]:
    """Job id -> names of the tasks that logged for it."""
    ran: dict[str, set[str]] = {}
    for entry in _entries(log):
        if "job_id" in entry:
            ran.setdefault(entry["job_id"], set()).add(entry["task"])
    return ran


def _tasks_in(log: Path) -> set[str]:
    """Names of the tasks a worker ran (their log lines name them)."""
    return {entry["task"] for entry in _entries(log) if "task" in entry}


def test_a_pdf_requested_on_one_api_downloads_from_the_other(topology: dict[str, Any]) -> None:
    first, second = topology["urls"]
    key = topology["key"]
    name = f"topo-{uuid.uuid4().hex[:8]}"
    with GraphQLClient(first, key) as one, GraphQLClient(second, key) as two:
        create_card(one, name, {"model_overview": {"model_description": "shared " * 100}})
        job = one.data(EXPORT_PDF, {"name": name})["exportCardPdf"]
        done = wait_for_job(two, job["id"])
    assert done["state"] == "SUCCEEDED", done
    path = httpx.URL(done["result"]["downloadUrl"]).path
    download = httpx.get(f"{second}{path}", headers={"Authorization": f"Bearer {key}"})
    assert download.status_code == 200, download.text
    assert download.content.startswith(b"%PDF")
    assert download.headers["x-content-sha256"] == done["result"]["sha256"]


def test_a_subscriber_on_one_api_sees_what_the_other_and_the_workers_do(
    topology: dict[str, Any],
) -> None:
    first, second = topology["urls"]
    key = topology["key"]
    name = f"topo-{uuid.uuid4().hex[:8]}"
    with GraphQLClient(first, key) as one:
        create_card(one, name, {})

        async def watch() -> tuple[list[dict[str, Any]], str]:
            transport = WebsocketsTransport(
                url=second.replace("http", "ws", 1) + "/graphql",
                init_payload={"Authorization": f"Bearer {key}"},
            )
            seen: list[dict[str, Any]] = []
            heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            async with Client(transport=transport) as session:

                async def listen() -> None:
                    request = GraphQLRequest(EVENTS, variable_values={"name": name})
                    async for event in session.subscribe(request):
                        await heard.put(event["cardEvents"])

                listener = asyncio.ensure_future(listen())
                # Writes on API 1 until API 2's subscriber hears one: the subscription is live.
                revision = 0
                while not seen:
                    revision += 1
                    content = {"model_overview": {"model_description": f"rev {revision}"}}
                    await asyncio.to_thread(update_content, one, name, content)
                    with contextlib.suppress(TimeoutError):
                        seen.append(await asyncio.wait_for(heard.get(), 5))
                job = await asyncio.to_thread(one.data, EXPORT_PDF, {"name": name})
                job_id = job["exportCardPdf"]["id"]
                while not any(e["jobId"] == job_id for e in seen):
                    seen.append(await heard.get())
                listener.cancel()
            return seen, job_id

        seen, job_id = asyncio.run(asyncio.wait_for(watch(), 120))
    assert seen[0]["kind"] == "VERSION_CREATED"  # written by API 1
    assert {"kind": "EXPORT_READY", "jobId": job_id} in [
        {"kind": e["kind"], "jobId": e["jobId"]} for e in seen
    ]  # by the render worker


def test_each_queue_runs_on_its_own_worker_and_beat_sends_the_reconciler(
    topology: dict[str, Any],
) -> None:
    first, second = topology["urls"]
    key = topology["key"]
    name = f"topo-{uuid.uuid4().hex[:8]}"
    with GraphQLClient(first, key) as one:
        create_card(one, name, {})
        pdf = one.data(EXPORT_PDF, {"name": name})["exportCardPdf"]["id"]
        upload = upload_metrics(second, key, name, QUALITY_FILE.read_bytes())
        ingest = upload.json()["data"]["ingestMetricsFile"]["id"]
        assert wait_for_job(one, pdf)["state"] == "SUCCEEDED"
        assert wait_for_job(one, ingest)["state"] == "SUCCEEDED"
    io_log, render_log = (topology["dir"] / f"{q}.log" for q in (IO_QUEUE, RENDER_QUEUE))
    wait_until(lambda: ingest in _jobs_in(io_log) and pdf in _jobs_in(render_log), "job logs")
    assert _jobs_in(render_log)[pdf] == {"cardgraph.render.export_card_pdf"}
    assert _jobs_in(io_log)[ingest] == {"cardgraph.io.ingest_metrics"}
    assert pdf not in _jobs_in(io_log)
    assert ingest not in _jobs_in(render_log)

    def reconciled_on_io() -> bool:
        return "cardgraph.io.reconcile_jobs" in _tasks_in(io_log)

    # Beat's periodic reconciler goes to the io queue, so to the io worker alone.
    wait_until(reconciled_on_io, "beat sent the reconciler", timeout=120)
    assert _tasks_in(render_log) == {"cardgraph.render.export_card_pdf"}
    assert "Sending due task reconcile-jobs" in (topology["dir"] / "beat.log").read_text()
