"""Subscriptions over a real WebSocket: job progress from a real worker, card events, clean-up."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from celery import Celery
from starlette.applications import Starlette

from cardgraph.clock import utc_now_ms
from cardgraph.jobs import names
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card, set_status, update_content
from tests.support.factories import risk_rated
from tests.support.jobs_api import export_pdf
from tests.support.servers import GraphQLClient
from tests.support.ws_client import graphql_socket

pytestmark = pytest.mark.usefixtures("worker")

PROGRESS = """subscription($id: ID!) { jobProgress(id: $id) {
  id state progress message revision result error { code } } }"""
CARD_EVENTS = """subscription($name: String) { cardEvents(name: $name) {
  kind cardName version status actor jobId artifactId } }"""


def _lost_job(db: Any, card_name: str) -> str:
    """A QUEUED export whose task message never reached the broker."""
    job_id = uuid.uuid4().hex
    long_ago = utc_now_ms() - timedelta(minutes=10)
    db.jobs.insert_one(
        {
            "_id": job_id,
            "kind": "EXPORT_CARD_PDF",
            "state": "QUEUED",
            "input": {"name": card_name, "version": 1},
            "requested_by": "apikey:test-editor",
            "created_at": long_ago,
            "updated_at": long_ago,
            "sent_at": long_ago,
            "card_name": card_name,
            "progress": 0.0,
            "message": "queued",
            "result": None,
            "error": None,
            "attempts": 0,
            "revision": 0,
            "parts": {},
        }
    )
    return job_id


def _send_task(settings: Settings, name: str, queue: str) -> None:
    producer = Celery("test-producer", broker=settings.redis_url, set_as_current=False)
    try:
        producer.send_task(name, queue=queue)
    finally:
        producer.close()


def test_progress_streams_live_and_the_reconciler_resends_lost_jobs(
    editor: GraphQLClient,
    keys: dict[Role, str],
    api_url: str,
    settings: Settings,
    db: Any,
    card_name: str,
) -> None:
    create_card(editor, card_name, risk_rated("High"))
    job_id = _lost_job(db, card_name)
    with graphql_socket(api_url, keys[Role.READER]) as socket:
        operation = socket.subscribe(PROGRESS, {"id": job_id})
        first = socket.next_message()
        assert first["payload"]["data"]["jobProgress"]["state"] == "QUEUED"
        # Nothing happens until the reconciler notices the lost message and re-sends it.
        _send_task(settings, names.RECONCILE_JOBS, names.IO_QUEUE)
        updates = [p["data"]["jobProgress"] for p in socket.collect(operation)]
    states = [u["state"] for u in updates]
    assert states[0] == "RUNNING" and states[-1] == "SUCCEEDED", states
    assert len(updates) >= 4  # running, several progress steps, succeeded
    revisions = [u["revision"] for u in updates]
    assert revisions == sorted(set(revisions))
    progress = [u["progress"] for u in updates]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert updates[-1]["result"]["cardName"] == card_name
    stored = db.jobs.find_one({"_id": job_id})
    assert stored["attempts"] == 1 and stored["state"] == "SUCCEEDED"


def test_late_subscriber_gets_the_final_state_at_once(
    editor: GraphQLClient, keys: dict[Role, str], api_url: str, card_name: str
) -> None:
    create_card(editor, card_name, {})
    job = export_pdf(editor, card_name)
    with graphql_socket(api_url, keys[Role.READER]) as socket:
        # No timing: the stream ends by itself with the final state; no later event is awaited.
        payloads = socket.collect(socket.subscribe(PROGRESS, {"id": job["id"]}))
    assert [p["data"]["jobProgress"]["state"] for p in payloads] == ["SUCCEEDED"]


def test_unknown_job_is_not_found(keys: dict[Role, str], api_url: str) -> None:
    with graphql_socket(api_url, keys[Role.READER]) as socket:
        payloads = socket.collect(socket.subscribe(PROGRESS, {"id": "missing"}))
    errors = payloads[-1]["errors"] if "errors" in payloads[-1] else payloads[-1]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


def test_card_events_for_one_card_and_for_all(
    editor: GraphQLClient,
    approver: GraphQLClient,
    keys: dict[Role, str],
    api_url: str,
    card_name: str,
) -> None:
    other = f"{card_name}-other"
    create_card(editor, card_name, {})
    with (
        graphql_socket(api_url, keys[Role.READER]) as one,
        graphql_socket(api_url, keys[Role.READER]) as every,
    ):
        mine = one.subscribe(CARD_EVENTS, {"name": card_name})
        everything = every.subscribe(CARD_EVENTS, {})
        time.sleep(0.5)  # let both subscriptions register before the changes
        update_content(editor, card_name, {"business_details": {}})
        create_card(editor, other, {})
        set_status(editor, card_name, "PENDING_REVIEW")
        set_status(approver, card_name, "APPROVED")
        job = export_pdf(editor, card_name)
        seen = [one.next_message()["payload"]["data"]["cardEvents"] for _ in range(4)]
        all_seen = [every.next_message()["payload"]["data"]["cardEvents"] for _ in range(5)]
        one.stop(mine)
        every.stop(everything)
    assert [(e["kind"], e["version"], e["status"]) for e in seen] == [
        ("VERSION_CREATED", 2, "DRAFT"),
        ("STATUS_CHANGED", 2, "PENDING_REVIEW"),
        ("STATUS_CHANGED", 2, "APPROVED"),
        ("EXPORT_READY", 2, "APPROVED"),
    ]
    assert seen[2]["actor"] == "apikey:test-approver"
    assert seen[3]["artifactId"] == job["result"]["artifactId"]
    assert {e["cardName"] for e in all_seen} == {card_name, other}


def _operation_tasks() -> list[asyncio.Task[Any]]:
    """Live tasks of WebSocket connections and their operations (strawberry, uvicorn)."""
    gc.collect()
    return [
        task
        for task in gc.get_objects()
        if isinstance(task, asyncio.Task)
        and not task.done()
        and any(
            n in repr(task.get_coro())
            for n in ("run_operation", "WebSocketsSansIOProtocol.run_asgi")
        )
    ]


def test_disconnect_leaves_no_subscribers_or_connections(
    api: tuple[str, Starlette],
    keys: dict[Role, str],
    settings: Settings,
    card_name: str,
    editor: GraphQLClient,
) -> None:
    url, app = api
    hub = app.state.runtime.hub
    probe = redis.Redis.from_url(settings.redis_url)
    create_card(editor, card_name, {})
    try:
        baseline = len(probe.client_list())
        for _ in range(3):
            with graphql_socket(url, keys[Role.READER]) as socket:
                socket.subscribe(CARD_EVENTS, {})
                socket.subscribe(PROGRESS, {"id": "x"})
                time.sleep(0.3)
                assert hub.subscriber_count >= 1
                assert _operation_tasks()
        deadline = time.monotonic() + 60
        while hub.subscriber_count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.subscriber_count == 0
        assert len(probe.client_list()) <= baseline
        while _operation_tasks() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _operation_tasks() == []
    finally:
        probe.close()
