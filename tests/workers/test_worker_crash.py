"""A worker killed or interrupted mid-job: another worker redoes the job, which finishes once.

Production timings throughout: the broker's visibility timeout (an hour) and the task time
limits are the defaults, and so are the lease, heartbeat and reconcile intervals. Only the
lapsed lease can bring the job back within the test's bounded waits; nothing here depends on
how fast the machine is (every wait is a generous poll on a condition).
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from cardgraph.events.channels import job_channel
from cardgraph.settings import Settings
from tests.jobs.test_batch_export import EXPORT
from tests.support.cards_api import create_card
from tests.support.isolated_stack import isolated_api
from tests.support.jobs_api import JOB, wait_for_job
from tests.support.servers import GraphQLClient
from tests.support.workers import WorkerProcess

DATABASE = "cardgraph_worker_crash"
CARDS = 30
WAIT_S = 300.0  # a bound on a condition, far below the hour of the visibility timeout
# Real workers, real renders, bounded waits on a loaded machine: more than the default.
pytestmark = pytest.mark.timeout(900)
PRODUCTION = (
    "broker_visibility_timeout_s",
    "task_time_limit_s",
    "job_lease_s",
    "job_heartbeat_s",
    "reconcile_interval_s",
    "job_resend_after_s",
    "job_max_attempts",
)


@pytest.fixture
def isolated(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    """An API on a stack of its own (only this test's workers see its tasks), with the
    production defaults of every timing that decides when a lost job comes back."""
    defaults = {name: Settings.model_fields[name].default for name in PRODUCTION}
    assert defaults["broker_visibility_timeout_s"] == 3600
    with isolated_api(settings, tmp_path, 1, DATABASE, export_part_size=50, **defaults) as api:
        yield api


class JobEvents:
    """Every state a job announced on its Redis channel, collected in a thread."""

    def __init__(self, redis_url: str, job_id: str) -> None:
        self._client = redis.Redis.from_url(redis_url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(job_channel(job_id))
        self.states: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.5)
            if message is not None:
                self.states.append(json.loads(message["data"])["state"])

    def close(self) -> list[str]:
        """Stop collecting; the states seen."""
        time.sleep(1)  # a last event in flight on the socket still arrives
        self._stop.set()
        self._thread.join(10)
        self._pubsub.close()
        self._client.close()
        return self.states


def _cards(client: GraphQLClient) -> tuple[str, list[str]]:
    prefix = f"crash{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{i:02}" for i in range(CARDS)]
    for name in names:
        content = {
            "intended_uses": {"risk_rating": "Low"},
            "model_overview": {"model_description": f"{name} " + "x" * 800},
        }
        create_card(client, name, content)
    return prefix, names


def _wait_until_half_done(client: GraphQLClient, job_id: str) -> None:
    """Until the export's part has done some cards but not half of them."""
    deadline = time.monotonic() + WAIT_S
    while True:
        state = client.data(JOB, {"id": job_id})["job"]
        if state["state"] == "RUNNING" and 0 < state["progress"] < 0.5:
            return
        assert state["state"] in ("QUEUED", "RUNNING"), state
        assert time.monotonic() < deadline, state
        time.sleep(0.02)


def _assert_done_once(
    client: GraphQLClient, db: Any, job_id: str, names: list[str], events: JobEvents
) -> dict[str, Any]:
    done = wait_for_job(client, job_id, timeout=WAIT_S)
    states = events.close()
    assert done["state"] == "SUCCEEDED", done.get("error")
    assert done["result"]["cards"] == len(names)
    assert states.count("SUCCEEDED") == 1, states  # one finish, announced once
    assert "FAILED" not in states
    # One artifact per card and one zip, although part of the work ran twice.
    for name in names:
        assert db.artifacts.count_documents({"card_name": name}) == 1, name
    assert db.artifacts.count_documents({"key": f"zip:{job_id}"}) == 1
    stored = db.jobs.find_one({"_id": job_id})
    assert [entry["card"] for entry in stored["parts"]["entries"]["0"]] == names
    assert stored["leases"] == {}
    return dict(stored)


def _interrupted_export(
    isolated: tuple[Settings, str],
    editor_key: str,
    db: Any,
    work: Path,
    interrupt: Callable[[WorkerProcess, str], None],
) -> dict[str, Any]:
    """Export cards on a first worker, `interrupt(worker, job_id)` it half-way, start a second
    with beat; the job must then be done once. Returns the stored job."""
    settings, url = isolated
    client = GraphQLClient(url, editor_key)
    prefix, names = _cards(client)
    first = WorkerProcess(settings, work / "first.log", concurrency=1)
    second = None
    try:
        job_id = client.data(EXPORT, {"filter": {"nameContains": prefix}, "format": "PDF"})[
            "exportCards"
        ]["id"]
        events = JobEvents(str(settings.redis_url), job_id)
        _wait_until_half_done(client, job_id)
        interrupt(first, job_id)
        second = WorkerProcess(settings, work / "second.log", concurrency=1, beat=True)
        return _assert_done_once(client, db, job_id, names, events)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        client.close()


def test_a_whole_worker_killed_mid_export_is_redone_once(
    isolated: tuple[Settings, str], isolated_editor_key: str, isolated_db: Any, tmp_path: Path
) -> None:
    def kill_all(worker: WorkerProcess, job_id: str) -> None:
        worker.kill()  # the worker's main process and its pool, all at once
        # Stranded: nothing but the lapsed lease can bring it back now.
        assert isolated_db.jobs.find_one({"_id": job_id})["state"] == "RUNNING"

    stored = _interrupted_export(isolated, isolated_editor_key, isolated_db, tmp_path, kill_all)
    assert stored["lease_resends"] >= 1  # the reconciler re-sent the part ...
    assert stored["attempts"] == 1  # ... not the plan, which had finished
    second_log = (tmp_path / "second.log").read_text()
    assert "cardgraph.render.export_cards_part" in second_log  # ... to the new worker
    assert "lapsed; sending its task again" in second_log


def test_a_killed_main_process_orphans_no_second_finish(
    isolated: tuple[Settings, str], isolated_editor_key: str, isolated_db: Any, tmp_path: Path
) -> None:
    # Its pool process lives on, or not: either way, one finish.
    _interrupted_export(
        isolated, isolated_editor_key, isolated_db, tmp_path, lambda worker, _: worker.kill_main()
    )


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_a_render_strands_nothing(
    isolated: tuple[Settings, str],
    isolated_editor_key: str,
    isolated_db: Any,
    tmp_path: Path,
    presses: int,
) -> None:
    """Ctrl-C in the worker's terminal (SIGINT to all its processes): once is a warm shutdown
    that lets the render finish; twice is a cold one that stops it, and the job is redone."""

    def press_ctrl_c(worker: WorkerProcess, job_id: str) -> None:
        for _ in range(presses):
            worker.signal_group(signal.SIGINT)
            time.sleep(0.5)  # a person pressing twice, not one signal delivered twice
        worker.process.wait(WAIT_S)

    _interrupted_export(isolated, isolated_editor_key, isolated_db, tmp_path, press_ctrl_c)
