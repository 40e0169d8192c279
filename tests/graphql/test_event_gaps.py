"""`cardEvents` across a real Valkey restart, through a client we did not write (Python `gql`).

The API runs as its own process on a Valkey server of this test's own (the session's is never
touched). The subscriber is connected before the outage; cards are written while Valkey is
down (they must succeed: MongoDB holds the state) and right after it is back. The subscriber
must hear, in order: the card written before the outage, an explicit RESYNC whose gap spans
the outage, and then every event written after it, the first one written right after the
restart included. Every wait is a bounded poll; nothing here asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from cardgraph.cli import child_env, issue_api_key
from cardgraph.embedded import EmbeddedServer, free_port, start_redis
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import CREATE
from tests.support.paths import ROOT
from tests.support.servers import run_async

EVENTS = gql("subscription { cardEvents { kind cardName version at gap { since until reason } } }")
START_S = 60.0  # bounds on polls, never expectations
DELIVERY_S = 60.0


class Stack:
    """This test's Valkey (restartable on its port) and an API process using it."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.valkey: EmbeddedServer = start_redis(None, port=self.port)
        self.settings = settings.model_copy(
            update={
                "redis_url": self.valkey.url,
                "port": free_port(),
                "mongodb_database": f"event_gaps_{uuid.uuid4().hex[:8]}",
                "log_level": "WARNING",
            }
        )
        self.log = Path(tempfile.mkstemp(prefix="event-gaps-api-", suffix=".log")[1])
        self.api: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The API's base URL."""
        return self.settings.base_url

    def start_api(self) -> None:
        """`cardgraph serve` in its own process, polled until it is ready."""
        with self.log.open("wb") as sink:
            self.api = subprocess.Popen(
                [sys.executable, "-m", "cardgraph.cli", "serve"],
                env=child_env(self.settings),
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        run_async(_poll(lambda: _ready(self.url), START_S, f"the API to start: {self.log}"))

    def stop(self) -> None:
        """Stop the API and Valkey."""
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(30)
            except subprocess.TimeoutExpired:
                self.api.kill()
                self.api.wait()
        self.valkey.stop()
        self.log.unlink(missing_ok=True)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """A fresh stack, stopped after the test."""
    running = Stack(settings)
    try:
        running.start_api()
        yield running
    finally:
        running.stop()


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            return (await http.get(f"{url}/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _redis_down(url: str) -> bool:
    async with httpx.AsyncClient(timeout=30) as http:
        checks = (await http.get(f"{url}/readyz")).json().get("checks", {})
        return checks.get("redis") not in (None, "ok")


async def _poll(condition: Any, bound_s: float, what: str) -> None:
    """Wait for `condition()` (a coroutine function), at most `bound_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_s
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def _create(http: httpx.AsyncClient, url: str, name: str) -> datetime:
    """Create a card over HTTP; when its version was made."""
    body = {"query": CREATE, "variables": {"input": {"name": name, "contentJson": {}}}}
    response = await http.post(f"{url}/graphql", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    return datetime.fromisoformat(payload["data"]["createCard"]["createdAt"])


def test_a_subscriber_across_a_valkey_restart_gets_a_gap_then_every_later_event(
    stack: Stack,
) -> None:
    key = run_async(issue_api_key(stack.settings, "event-gaps", Role.EDITOR, "tests"))[1]
    prefix = f"gap{uuid.uuid4().hex[:6]}"
    before, during, after = f"{prefix}-before", [f"{prefix}-down-{i}" for i in range(3)], []
    received: list[dict[str, Any]] = []

    async def subscriber(transport: WebsocketsTransport) -> None:
        async with Client(transport=transport) as session:
            async for result in session.subscribe(EVENTS):
                received.append(result["cardEvents"])

    def heard(name: str) -> Any:
        async def condition() -> bool:
            return any(e["cardName"].startswith(name) for e in received)

        return condition

    async def scenario() -> list[datetime]:
        ws_url = stack.url.replace("http://", "ws://", 1) + "/graphql"
        transport = WebsocketsTransport(url=ws_url, init_payload={"Authorization": f"Bearer {key}"})
        listening = asyncio.create_task(subscriber(transport))
        written: list[datetime] = []
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(headers=headers, timeout=60) as http:
            try:
                # Live before the outage: cards are written until one is heard (the
                # subscription starts asynchronously; only a heard event proves it listens).
                for attempt in range(int(START_S)):
                    await _create(http, stack.url, f"{before}-{attempt}")
                    try:
                        await _poll(heard(before), 1, "a card written before the outage")
                        break
                    except AssertionError:
                        continue
                stack.valkey.stop()
                await _poll(lambda: _redis_down(stack.url), START_S, "the API to see Redis down")
                for name in during:  # written while Redis is down: they must succeed
                    written.append(await _create(http, stack.url, name))
                stack.valkey = start_redis(None, port=stack.port)
                after.append(f"{prefix}-after-restart")
                written.append(await _create(http, stack.url, after[-1]))
                await _poll(heard(after[-1]), DELIVERY_S, "the card written after the restart")
                after.append(f"{prefix}-later")
                written.append(await _create(http, stack.url, after[-1]))
                await _poll(heard(after[-1]), DELIVERY_S, "a later card")
            finally:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)
        return written

    written = run_async(scenario())
    kinds = [(e["kind"], e["cardName"]) for e in received]
    resyncs = [i for i, e in enumerate(received) if e["kind"] == "RESYNC"]
    assert resyncs, kinds
    gap_at = resyncs[0]
    gap = received[gap_at]["gap"]
    names_before = [e["cardName"] for e in received[:gap_at]]
    names_after = [e["cardName"] for e in received[gap_at + 1 :]]
    assert any(name.startswith(before) for name in names_before), kinds
    # Every event after the notice is delivered, the one right after the restart included.
    assert names_after.count(after[0]) == 1 and names_after.count(after[1]) == 1, kinds
    assert names_after.index(after[0]) < names_after.index(after[1]), kinds
    # The gap spans the outage: it starts before the first write of the outage and ends after
    # the last one, so a client refetching from `since` sees every card written in it.
    since, until = datetime.fromisoformat(gap["since"]), datetime.fromisoformat(gap["until"])
    assert since <= written[0], (gap, written)
    assert until >= written[len(during) - 1], (gap, written)
    assert "restarted" in gap["reason"], gap
