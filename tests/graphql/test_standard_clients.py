"""Subscriptions through clients we did not write: Python `gql`, the official `graphql-ws` (Node).

Each test subscribes to `jobProgress` of a job that stays QUEUED (the API below has a broker
no worker reads), waits for the stored state, cancels the job over HTTP and must then
receive the CANCELLED event live, and the end of the stream. Every graphql-transport-ws
message must be a text frame: standard clients refuse binary ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.sync.client import connect

from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes
from tests.support.cards_api import create_card
from tests.support.jobs_api import EXPORT_PDF
from tests.support.node_clients import NodeProject
from tests.support.servers import GraphQLClient, run_async, running_api

PROGRESS = "subscription($id: ID!) { jobProgress(id: $id) { id state } }"
CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { state } }"
QUIET_BROKER_DB = 7  # a Valkey database no worker of the session reads tasks from


@pytest.fixture(scope="module")
def quiet_api(settings: Settings) -> Iterator[tuple[str, str]]:
    """An API on its own database whose tasks go to a broker no worker reads, and an editor
    key for it: its jobs stay QUEUED until a test cancels them. Events still flow, since
    Redis pub/sub spans databases."""
    assert settings.redis_url is not None
    parts = urlsplit(settings.redis_url)
    quiet = settings.model_copy(
        update={
            "mongodb_database": "cardgraph_standard_clients",
            "redis_url": urlunsplit(parts._replace(path=f"/{QUIET_BROKER_DB}")),
            "port": 0,
        }
    )
    run_async(_ensure_indexes(quiet))
    key = run_async(issue_api_key(quiet, "clients-editor", Role.EDITOR, "tests"))[1]
    with running_api(quiet) as url:
        yield url, key


async def _ensure_indexes(settings: Settings) -> None:
    client = create_async_client(settings)
    try:
        await ensure_indexes(client[settings.mongodb_database])
    finally:
        await client.close()


@pytest.fixture
def quiet(quiet_api: tuple[str, str]) -> Iterator[GraphQLClient]:
    """An editor client of the quiet API."""
    url, key = quiet_api
    with GraphQLClient(url, key) as client:
        yield client


def _queued_job(client: GraphQLClient, card_name: str) -> str:
    create_card(client, card_name, {"model_overview": {"model_description": "subscribed to"}})
    job = client.data(EXPORT_PDF, {"name": card_name})["exportCardPdf"]
    assert job["state"] == "QUEUED", job
    job_id: str = job["id"]
    return job_id


def _cancel(client: GraphQLClient, job_id: str) -> None:
    assert client.data(CANCEL, {"id": job_id})["cancelJob"]["state"] == "CANCELLED"


def _ws_url(url: str) -> str:
    return url.replace("http://", "ws://", 1) + "/graphql"


def test_graphql_ws_under_node_receives_a_live_event_in_text_frames(
    node_project: NodeProject, quiet_api: tuple[str, str], quiet: GraphQLClient, card_name: str
) -> None:
    url, key = quiet_api
    job_id = _queued_job(quiet, card_name)
    operation = json.dumps({"query": PROGRESS, "variables": {"id": job_id}})
    with node_project.running("subscribe.mjs", _ws_url(url), operation, api_key=key) as script:
        script.wait_for("connected")
        first = script.wait_for("next")
        assert first["payload"] == {"data": {"jobProgress": {"id": job_id, "state": "QUEUED"}}}
        _cancel(quiet, job_id)  # the change the subscriber must now hear of
        summary = script.last_line()
    assert summary["event"] == "summary", summary
    assert summary["error"] is None and summary["completed"] is True, summary
    states = [result["data"]["jobProgress"]["state"] for result in summary["results"]]
    assert states == ["QUEUED", "CANCELLED"], summary
    # connection_ack, two `next` and `complete`, each in a text frame.
    assert summary["frames"]["binary"] == 0, summary
    assert summary["frames"]["text"] >= 4, summary
    assert script.process.returncode == 0


def test_graphql_ws_under_node_is_refused_with_a_bad_key(
    node_project: NodeProject, quiet_api: tuple[str, str]
) -> None:
    url, _ = quiet_api
    operation = json.dumps({"query": PROGRESS, "variables": {"id": "0" * 32}})
    summary = node_project.run("subscribe.mjs", _ws_url(url), operation, api_key="cg_forged")
    assert summary["completed"] is False, summary
    assert summary["error"]["closeCode"] == 4403, summary
    assert summary["error"]["closeReason"].startswith("UNAUTHENTICATED"), summary
    assert summary["results"] == [], summary


def test_gql_websockets_transport_receives_a_live_event(
    quiet_api: tuple[str, str], quiet: GraphQLClient, card_name: str
) -> None:
    url, key = quiet_api
    job_id = _queued_job(quiet, card_name)

    async def follow() -> list[dict[str, Any]]:
        transport = WebsocketsTransport(
            url=_ws_url(url), init_payload={"Authorization": f"Bearer {key}"}
        )
        seen = []
        async with Client(transport=transport) as session:
            request = GraphQLRequest(PROGRESS, variable_values={"id": job_id})
            async for result in session.subscribe(request):
                seen.append(result["jobProgress"])
                if len(seen) == 1:
                    await asyncio.to_thread(_cancel, quiet, job_id)
        return seen  # the loop ends when the server completes the operation

    assert asyncio.run(follow()) == [
        {"id": job_id, "state": "QUEUED"},
        {"id": job_id, "state": "CANCELLED"},
    ]


def test_every_protocol_message_is_a_text_frame(
    quiet_api: tuple[str, str], quiet: GraphQLClient, card_name: str
) -> None:
    url, key = quiet_api
    job_id = _queued_job(quiet, card_name)
    frames: list[str | bytes] = []
    with connect(_ws_url(url), subprotocols=["graphql-transport-ws"]) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": {"apiKey": key}}))
        frames.append(socket.recv(timeout=60))
        subscribe = {"query": PROGRESS, "variables": {"id": job_id}}
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        frames.append(socket.recv(timeout=60))
        _cancel(quiet, job_id)
        while json.loads(frames[-1])["type"] != "complete":
            frames.append(socket.recv(timeout=60))
            assert len(frames) < 10, frames
        socket.send(json.dumps({"type": "ping"}))
        frames.append(socket.recv(timeout=60))
    assert all(isinstance(frame, str) for frame in frames), frames
    types = [json.loads(frame)["type"] for frame in frames]
    assert types == ["connection_ack", "next", "next", "complete", "pong"], frames
