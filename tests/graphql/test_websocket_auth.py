"""WebSocket connections authenticate in `connection_init` (graphql-transport-ws only)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from cardgraph.principals import Role


def _connect(api_url: str, protocol: str = "graphql-transport-ws") -> ClientConnection:
    return connect(
        api_url.replace("http", "ws") + "/graphql", subprotocols=[protocol], open_timeout=10
    )


def _init(ws: ClientConnection, payload: dict[str, Any] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    ws.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return reply


def _result(ws: ClientConnection, operation_id: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if message.get("id") == operation_id and message["type"] in ("next", "error"):
            return message


@pytest.mark.parametrize(
    "payload", [None, {}, {"Authorization": "Bearer nope"}, {"apiKey": "cg_0_bad"}]
)
def test_socket_without_a_valid_key_is_closed(api_url: str, payload: dict[str, Any] | None) -> None:
    with _connect(api_url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            _init(ws, payload)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403


def test_socket_with_a_key_runs_operations_as_that_key(api_url: str, keys: dict[Role, str]) -> None:
    with _connect(api_url) as ws:
        ack = _init(ws, {"Authorization": f"Bearer {keys[Role.EDITOR]}"})
        assert ack == {"type": "connection_ack", "payload": {"role": "EDITOR"}}
        ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { name role } }"}}
            )
        )
        reply = _result(ws, "1")
        assert reply["payload"]["data"] == {"viewer": {"name": "test-editor", "role": "EDITOR"}}
        ws.send(
            json.dumps(
                {
                    "id": "2",
                    "type": "subscribe",
                    "payload": {"query": 'mutation { deleteCard(name: "x") }'},
                }
            )
        )
        reply = _result(ws, "2")
        assert reply["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_subscribing_before_init_is_refused(api_url: str) -> None:
    with _connect(api_url) as ws:
        ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { name } }"}}
            )
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def _init_legacy(api_url: str) -> None:
    with _connect(api_url, "graphql-ws") as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        ws.recv(timeout=10)


def test_legacy_graphql_ws_protocol_is_not_offered(api_url: str) -> None:
    with pytest.raises((InvalidHandshake, ConnectionClosed)):
        _init_legacy(api_url)
