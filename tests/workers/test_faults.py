"""Servers dying under the running service: Redis restarted with jobs queued, MongoDB stopped."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cardgraph.cli import issue_api_key
from cardgraph.embedded import EmbeddedServer, start_mongodb, start_redis
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card, get_card
from tests.support.jobs_api import EXPORT_PDF, wait_for_job
from tests.support.servers import GraphQLClient, run_async, running_api
from tests.support.workers import WorkerProcess


@pytest.fixture
def own_redis() -> Iterator[EmbeddedServer]:
    """A Valkey this test may kill."""
    server = start_redis(None)
    yield server
    server.stop()


def test_redis_restart_loses_no_job(
    own_redis: EmbeddedServer, settings: Settings, keys: dict[Role, str], db: Any, tmp_path: Path
) -> None:
    stack = settings.model_copy(
        update={
            "redis_url": own_redis.url,
            "port": 0,
            "job_resend_after_s": 2,
            "reconcile_interval_s": 1,
            "data_dir": tmp_path,
        }
    )
    worker = WorkerProcess(stack, tmp_path / "worker.log", concurrency=1, beat=True)
    names = [f"fault-{uuid.uuid4().hex[:8]}-{i}" for i in range(3)]
    try:
        with running_api(stack) as url:
            client = GraphQLClient(url, keys[Role.EDITOR])
            for name in names:
                create_card(client, name, {"intended_uses": {"risk_rating": "Low"}})
            own_redis.stop()
            # Without Redis: reads and writes keep working, and jobs are still accepted.
            assert get_card(client, names[0]) is not None
            jobs = [client.data(EXPORT_PDF, {"name": n})["exportCardPdf"]["id"] for n in names]
            time.sleep(1)
            restarted = start_redis(None, port=own_redis.port)
            try:
                finished = [wait_for_job(client, job_id, timeout=90) for job_id in jobs]
            finally:
                restarted.stop()
            client.close()
    finally:
        worker.stop()
    assert [job["state"] for job in finished] == ["SUCCEEDED"] * 3, finished
    assert [job["attempts"] for job in finished] == [1, 1, 1]
    for name in names:
        assert db.artifacts.count_documents({"card_name": name}) == 1


def test_mongodb_down_is_unavailable_and_recovers(settings: Settings, tmp_path: Path) -> None:
    storage = tmp_path / "mongo"
    mongo = start_mongodb(storage)
    assert settings.redis_url is not None
    stack = settings.model_copy(
        update={
            "mongodb_url": mongo.url,
            "port": 0,
            "mongodb_timeout_ms": 500,
            # Server selection waits as long as an operation may take (PyMongo's timeoutMS).
            "mongodb_operation_timeout_ms": 500,
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + "/3",
        }
    )
    try:
        _, key = run_async(issue_api_key(stack, "fault-admin", Role.ADMIN, "tests"))
        _, unused_key = run_async(issue_api_key(stack, "fault-reader", Role.READER, "tests"))
        with running_api(stack) as url:
            client = GraphQLClient(url, key)
            create_card(client, "survivor", {})
            mongo.stop()
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["checks"]["mongodb"].startswith("unreachable")
            # A key this process has not seen yet cannot be checked: the request is refused.
            stranger = GraphQLClient(url, unused_key)
            down = stranger.post('{ card(name: "survivor") { name } }')
            stranger.close()
            assert down.status_code == 503
            assert down.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            assert "Traceback" not in down.text
            listing = client.post("{ cards(first: 5) { totalCount } }")
            assert listing.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            assert listing.json()["data"] is None
            assert "Traceback" not in listing.text
            # What this process holds in memory (and hears no change of) is still served.
            cached = client.data('{ card(name: "survivor") { latestVersion { number } } }')
            assert cached == {"card": {"latestVersion": {"number": 1}}}
            mongo = start_mongodb(storage, port=mongo.port)
            deadline = time.monotonic() + 30
            while httpx.get(f"{url}/readyz", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover"
                time.sleep(0.2)
            assert client.data('{ card(name: "survivor") { name } }') == {
                "card": {"name": "survivor"}
            }
            client.close()
    finally:
        mongo.stop()
