"""`cardgraph dev` runs the `io` and `render` queues in separate workers: a render holding its
worker never holds up an `io` job, and beat (the reconciler) runs once, with the `io` worker."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardgraph.cli import dev_worker_commands
from cardgraph.jobs.names import IO_QUEUE, RENDER_QUEUE
from cardgraph.settings import Settings
from tests.jobs.test_batch_export import EXPORT
from tests.project.test_dev_command import _cmdline, _descendants, dev_process
from tests.support.cards_api import create_card
from tests.support.isolated_stack import isolated_api
from tests.support.jobs_api import JOB, upload_metrics, wait_for_job
from tests.support.paths import METRIC_EXAMPLES
from tests.support.servers import GraphQLClient
from tests.support.workers import WorkerProcess

DATABASE = "cardgraph_worker_queues"
# Real workers, real renders, bounded waits on a loaded machine: more than the default.
pytestmark = pytest.mark.timeout(900)
WAIT_S = 120.0
METRICS = METRIC_EXAMPLES / "model_monitor_model_quality_binary_classification.json"


def _queues(command: list[str]) -> str:
    return command[command.index("-Q") + 1]


@pytest.mark.servers
def test_dev_starts_one_worker_per_queue_and_beat_once(tmp_path: Path) -> None:
    commands = dev_worker_commands(Settings(data_dir=tmp_path))
    assert sorted(_queues(c) for c in commands) == [IO_QUEUE, RENDER_QUEUE]
    assert [_queues(c) for c in commands if "-B" in c] == [IO_QUEUE]
    with dev_process(tmp_path) as (process, _):
        deadline = time.monotonic() + WAIT_S
        while True:
            started = [_cmdline(p) for p in _descendants(process.pid)]
            workers = [c for c in started if " worker " in c and "celery" in c]
            mains = set(workers)  # pool processes repeat their parent's command line
            if len(mains) == 2:
                break
            assert time.monotonic() < deadline, started
            time.sleep(0.3)
    assert sorted(" -Q io " in c or " -Q render " in c for c in mains) == [True, True]
    assert [c for c in mains if " -B " in c] == [c for c in mains if " -Q io " in c]


@pytest.fixture
def isolated(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    """An API on a stack of its own, so only this test's workers see its tasks."""
    production = {"broker_visibility_timeout_s": 3600, "task_time_limit_s": 900}
    with isolated_api(settings, tmp_path, 4, DATABASE, export_part_size=50, **production) as api:
        yield api


def test_an_io_job_completes_while_a_render_holds_the_render_worker(
    isolated: tuple[Settings, str], isolated_editor_key: str, isolated_db: Any, tmp_path: Path
) -> None:
    settings, url = isolated
    client = GraphQLClient(url, isolated_editor_key)
    prefix = f"queues{uuid.uuid4().hex[:6]}"
    for i in range(12):
        create_card(
            client, f"{prefix}-{i:02}", {"model_overview": {"model_description": "y" * 800}}
        )
    io = WorkerProcess(settings, tmp_path / "io.log", concurrency=1, beat=True, queues=(IO_QUEUE,))
    render = WorkerProcess(settings, tmp_path / "render.log", concurrency=1, queues=(RENDER_QUEUE,))
    try:
        export_id = client.data(EXPORT, {"filter": {"nameContains": prefix}, "format": "PDF"})[
            "exportCards"
        ]["id"]
        deadline = time.monotonic() + WAIT_S
        while client.data(JOB, {"id": export_id})["job"]["progress"] == 0:
            assert time.monotonic() < deadline, "the export did not start"
            time.sleep(0.02)
        # The render worker is stuck in the middle of a render, as with a very long card.
        render.signal_group(signal.SIGSTOP)
        try:
            response = upload_metrics(
                url, isolated_editor_key, f"{prefix}-00", METRICS.read_bytes()
            )
            assert response.status_code == 200, response.text
            ingest_id = response.json()["data"]["ingestMetricsFile"]["id"]
            ingested = wait_for_job(client, ingest_id, timeout=WAIT_S)
            assert ingested["state"] == "SUCCEEDED", ingested.get("error")
            assert client.data(JOB, {"id": export_id})["job"]["state"] == "RUNNING"
        finally:
            render.signal_group(signal.SIGCONT)
        exported = wait_for_job(client, export_id, timeout=WAIT_S * 2)
        assert exported["state"] == "SUCCEEDED", exported
        assert isolated_db.artifacts.count_documents({"key": f"zip:{export_id}"}) == 1
    finally:
        render.stop()
        io.stop()
        client.close()
    ran = "Task cardgraph.io.ingest_metrics["
    assert ran in (tmp_path / "io.log").read_text()
    assert ran not in (tmp_path / "render.log").read_text()
