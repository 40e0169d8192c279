"""A frozen database or Redis (SIGSTOP: what a partition looks like) is UNAVAILABLE, not a hang.

This file starts servers of its own: the session's shared ones are never frozen.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.errors import (
    AutoReconnect,
    ClientBulkWriteException,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
)
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from cardgraph.cli import issue_api_key
from cardgraph.embedded import EmbeddedServer, start_mongodb, start_redis
from cardgraph.events.hub import EventHub
from cardgraph.principals import Role
from cardgraph.settings import Settings
from cardgraph.storage.availability import is_unavailable
from tests.support.cards_api import CREATE, UPDATE_CONTENT, create_card
from tests.support.jobs_api import EXPORT_PDF
from tests.support.servers import GraphQLClient, run_async, running_app
from tests.support.ws_client import graphql_socket

CARD_EVENTS = "subscription($name: String) { cardEvents(name: $name) { kind cardName version } }"
# Nothing a process caches: the read must reach the database.
LIST = "{ apiKeys { name } }"
# Generous, so nothing here depends on how fast a busy machine is: a hang would exceed it.
PATIENCE_S = 60.0


@contextmanager
def frozen(server: EmbeddedServer) -> Iterator[None]:
    """Stop the server's process (its sockets stay open, nothing answers) until the block ends."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def _stop(server: EmbeddedServer) -> None:
    # A server left stopped would ignore SIGTERM until it is continued.
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.fixture(scope="module")
def own_mongodb() -> Iterator[EmbeddedServer]:
    """A SecantusDB this file may freeze."""
    server = start_mongodb(None)
    yield server
    _stop(server)


@pytest.fixture(scope="module")
def own_redis() -> Iterator[EmbeddedServer]:
    """A Valkey this file may freeze."""
    server = start_redis(None)
    yield server
    _stop(server)


@pytest.fixture(scope="module")
def stack_settings(
    own_mongodb: EmbeddedServer, own_redis: EmbeddedServer, tmp_path_factory: Any
) -> Settings:
    """Default timeouts, pointed at this file's servers."""
    data_dir: Path = tmp_path_factory.mktemp("timeouts")
    return Settings(
        mongodb_url=own_mongodb.url,
        redis_url=own_redis.url,
        mongodb_database="cardgraph_timeouts",
        data_dir=data_dir,
        port=0,
    )


@pytest.fixture(scope="module")
def stack(stack_settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """An API on this file's servers."""
    with running_app(stack_settings) as served:
        yield served


@pytest.fixture(scope="module")
def admin_key(stack_settings: Settings, stack: tuple[str, Starlette]) -> str:
    """An admin key of this file's database."""
    key: str = run_async(issue_api_key(stack_settings, "timeouts-admin", Role.ADMIN, "tests"))[1]
    return key


@pytest.fixture
def admin(stack: tuple[str, Starlette], admin_key: str) -> Iterator[GraphQLClient]:
    """An admin client of this file's API."""
    client = GraphQLClient(stack[0], admin_key)
    yield client
    client.close()


def _code(body: dict[str, Any]) -> str:
    errors = body.get("errors")
    assert errors, body
    code: str = errors[0]["extensions"]["code"]
    return code


def _codes(payloads: list[Any]) -> list[str]:
    # An `error` message carries a list of errors, a `next` message a result with errors.
    errors = [e for p in payloads for e in (p if isinstance(p, list) else p.get("errors") or [])]
    return [e["extensions"]["code"] for e in errors]


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=PATIENCE_S).status_code == 200


def _hub(app: Starlette) -> EventHub:
    hub = app.state.runtime.hub
    assert isinstance(hub, EventHub)
    return hub


@pytest.mark.servers
def test_frozen_database_reads_writes_and_sign_ins_are_unavailable_then_recover(
    stack: tuple[str, Starlette],
    stack_settings: Settings,
    admin: GraphQLClient,
    own_mongodb: EmbeddedServer,
) -> None:
    url, _ = stack
    name = f"frozen-{uuid.uuid4().hex[:8]}"
    create_card(admin, name, {"intended_uses": {"risk_rating": "Low"}})
    # A key this process has never seen: signing in with it must ask the database.
    _, stranger_key = run_async(issue_api_key(stack_settings, "stranger", Role.READER, "tests"))
    stranger = GraphQLClient(url, stranger_key)
    change = {
        "input": {"name": name, "contentJson": {"intended_uses": {"purpose_of_model": "frozen"}}}
    }
    try:
        with frozen(own_mongodb):
            assert _code(admin.execute(LIST)) == "UNAVAILABLE"
            # A content change goes to the database as one bulkWrite.
            assert _code(admin.execute(UPDATE_CONTENT, change)) == "UNAVAILABLE"
            created = admin.execute(CREATE, {"input": {"name": f"{name}-x", "contentJson": {}}})
            assert _code(created) == "UNAVAILABLE"
            signed_in = stranger.post(LIST)
            assert signed_in.status_code == 503
            assert _code(signed_in.json()) == "UNAVAILABLE"
            ready = httpx.get(f"{url}/readyz", timeout=PATIENCE_S)
            assert ready.status_code == 503
            assert ready.json()["checks"]["mongodb"] != "ok"
        _wait_until(lambda: _ready(url), "the service did not recover after the database did")
        assert admin.data(LIST)["apiKeys"]
        assert _code(stranger.execute(LIST)) == "FORBIDDEN"  # signed in: only admins list keys
        # The frozen write may have been applied once the server woke: sending it again is safe.
        version = admin.data(UPDATE_CONTENT, change)["updateCardContent"]
        assert version["number"] == 2
    finally:
        stranger.close()


@pytest.mark.servers
def test_frozen_database_refuses_a_socket_sign_in_with_a_code(
    stack: tuple[str, Starlette], stack_settings: Settings, own_mongodb: EmbeddedServer
) -> None:
    url, _ = stack
    _, key = run_async(issue_api_key(stack_settings, "socket-stranger", Role.READER, "tests"))
    with (
        frozen(own_mongodb),
        pytest.raises(ConnectionClosed) as closed,
        graphql_socket(url, key) as socket,
    ):
        socket.next_message(timeout=PATIENCE_S)
    assert closed.value.rcvd is not None
    assert "UNAVAILABLE" in closed.value.rcvd.reason
    _wait_until(lambda: _ready(url), "the service did not recover after the database did")


@pytest.mark.servers
def test_frozen_redis_leaves_reads_and_writes_working_and_subscriptions_unavailable(
    stack: tuple[str, Starlette], admin: GraphQLClient, admin_key: str, own_redis: EmbeddedServer
) -> None:
    url, app = stack
    name = f"quiet-{uuid.uuid4().hex[:8]}"
    create_card(admin, name, {})
    hub = _hub(app)
    _wait_until(lambda: hub.live, "the event hub never listened")
    with frozen(own_redis):
        assert admin.data(LIST)["apiKeys"]
        # The write stands; its event is lost (subscribers re-read the stored state).
        update = {
            "input": {"name": name, "contentJson": {"intended_uses": {"purpose_of_model": "q"}}}
        }
        assert admin.data(UPDATE_CONTENT, update)["updateCardContent"]["number"] == 2
        # The job is stored QUEUED; the reconciler sends it once the broker answers again.
        job = admin.data(EXPORT_PDF, {"name": name})["exportCardPdf"]
        assert job["state"] == "QUEUED"
        ready = httpx.get(f"{url}/readyz", timeout=PATIENCE_S)
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] != "ok"
        # The hub notices the silence itself (its subscription has no socket timeout).
        _wait_until(lambda: not hub.live, "the event hub did not notice Redis froze")
        with graphql_socket(url, admin_key) as socket:
            operation = socket.subscribe(CARD_EVENTS, {"name": name})
            payloads = socket.collect(operation, timeout=PATIENCE_S)
        assert _codes(payloads) == ["UNAVAILABLE"], payloads
    _wait_until(lambda: _ready(url) and hub.live, "the service did not recover after Redis did")
    with graphql_socket(url, admin_key) as socket:
        operation = socket.subscribe(CARD_EVENTS, {"name": name})
        _wait_until(lambda: hub.subscriber_count > 0, "the subscription did not start")
        update = {
            "input": {"name": name, "contentJson": {"intended_uses": {"purpose_of_model": "r"}}}
        }
        admin.data(UPDATE_CONTENT, update)
        event = socket.next_message(timeout=PATIENCE_S)["payload"]["data"]["cardEvents"]
        socket.stop(operation)
    assert (event["kind"], event["version"]) == ("VERSION_CREATED", 3)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (NetworkTimeout("timed out"), True),
        (AutoReconnect("connection closed"), True),
        (ExecutionTimeout("operation exceeded time limit", 50), True),
        # What a write in flight when the link dies raises: the network error, wrapped.
        (
            ClientBulkWriteException({"error": AutoReconnect("reset"), "writeErrors": []}, True),
            True,
        ),
        (
            ClientBulkWriteException(
                {"writeErrors": [{"idx": 0, "code": 50, "errmsg": "time limit"}]}, True
            ),
            True,
        ),
        (
            ClientBulkWriteException(
                {"writeErrors": [{"idx": 1, "code": 11000, "errmsg": "duplicate"}]}, True
            ),
            False,
        ),
        (DuplicateKeyError("duplicate", 11000), False),
        (OperationFailure("bad query", 2), False),
        (ValueError("not a database error"), False),
    ],
)
def test_which_database_errors_mean_unavailable(error: BaseException, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable
