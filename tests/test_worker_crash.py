"""Exactly-once effect: a worker SIGKILLed mid-job; another finishes the job, once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardgraph.access.models import Role
from cardgraph.settings import Settings
from tests.cards_api import create_card
from tests.jobs_api import JOB, wait_for_job
from tests.servers import GraphQLClient, running_api
from tests.test_batch_export import EXPORT
from tests.workers import WorkerProcess


@pytest.fixture
def isolated(settings: Settings, keys: dict[Role, str]) -> Iterator[tuple[Settings, str]]:
    """An API on its own broker database, so only this test's workers see its tasks."""
    assert settings.redis_url is not None
    isolated_settings = settings.model_copy(
        update={
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + "/1",
            "port": 0,
            "broker_visibility_timeout_s": 12,
            "task_time_limit_s": 10,
            "export_part_size": 50,
        }
    )
    with running_api(isolated_settings) as url:
        yield isolated_settings, url


def test_killed_worker_job_is_redelivered_and_finishes_once(
    isolated: tuple[Settings, str], keys: dict[Role, str], db: Any, tmp_path: Path
) -> None:
    settings, url = isolated
    client = GraphQLClient(url, keys[Role.EDITOR])
    prefix = f"crash{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{i}" for i in range(6)]
    for name in names:
        create_card(
            client,
            name,
            {
                "intended_uses": {"risk_rating": "Low"},
                "model_overview": {"model_description": "x" * 800},
            },
        )
    first = WorkerProcess(settings, tmp_path / "first.log", concurrency=1)
    second = None
    try:
        job = client.data(EXPORT, {"filter": {"nameContains": prefix}, "format": "PDF"})
        job_id = job["exportCards"]["id"]
        deadline = time.monotonic() + 60
        while True:  # wait until the part is half done, then pull the plug
            state = client.data(JOB, {"id": job_id})["job"]
            if state["state"] == "RUNNING" and 0 < state["progress"] < 0.5:
                break
            assert state["state"] in ("QUEUED", "RUNNING"), state
            assert time.monotonic() < deadline, state
            time.sleep(0.02)
        first.kill()
        interrupted = client.data(JOB, {"id": job_id})["job"]
        assert interrupted["state"] == "RUNNING"
        second = WorkerProcess(settings, tmp_path / "second.log", concurrency=1)
        done = wait_for_job(client, job_id, timeout=90)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        client.close()
    assert done["state"] == "SUCCEEDED", done
    assert done["result"]["cards"] == len(names)
    # One artifact per card and one zip, although part of the work ran twice.
    for name in names:
        assert db.artifacts.count_documents({"card_name": name}) == 1, name
    assert db.artifacts.count_documents({"key": f"zip:{job_id}"}) == 1
    manifest_cards = db.jobs.find_one({"_id": job_id})["parts"]["entries"]["0"]
    assert [entry["card"] for entry in manifest_cards] == names
    # The second worker did the redelivered part.
    assert "cardgraph.render.export_cards_part" in (tmp_path / "second.log").read_text()
