"""Open WebSockets lose their access when the key does: revocation, expiry, and the limits.

Sockets are opened with the `websockets` library and spoken to in graphql-transport-ws by
hand, so every close code and frame type is what a standard client would see.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.oidc_issuer import new_signing_key, oidc_settings, serving_jwks, signed_token
from tests.support.servers import GraphQLClient, running_api

WAIT_S = 30  # generous: these tests wait for events, they never time them


@contextmanager
def _raw(url: str) -> Iterator[ClientConnection]:
    with connect(
        url.replace("http", "ws", 1) + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_size=None,
    ) as socket:
        yield socket


def _init(socket: ClientConnection, token: str) -> None:
    socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )


@contextmanager
def _open(url: str, token: str) -> Iterator[ClientConnection]:
    with _raw(url) as socket:
        _init(socket, token)
        assert _receive(socket)["type"] == "connection_ack"
        yield socket


def _receive(socket: ClientConnection) -> dict[str, Any]:
    frame = socket.recv(timeout=WAIT_S)
    assert isinstance(frame, str), "graphql-transport-ws messages must be text frames"
    message: dict[str, Any] = json.loads(frame)
    return message


def _subscribe(socket: ClientConnection, op_id: str, query: str) -> None:
    socket.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))


def _close_code(socket: ClientConnection) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    try:
        while True:
            _receive(socket)
    except ConnectionClosed as closed:
        received = closed.rcvd
    assert received is not None, "the server sent no close frame"
    return received.code, received.reason


def _new_key(admin: GraphQLClient, role: str = "ADMIN") -> tuple[str, str]:
    created = admin.data(
        "mutation($n: String!, $r: Role!) {"
        " createApiKey(name: $n, role: $r) { apiKey { id } secret } }",
        {"n": f"socket-{uuid.uuid4().hex[:8]}", "r": role},
    )["createApiKey"]
    return created["apiKey"]["id"], created["secret"]


def _revoke(admin: GraphQLClient, key_id: str) -> None:
    admin.data("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": key_id})


@pytest.fixture(scope="module")
def second_api(settings: Settings) -> Iterator[str]:
    """Another API process on the same database and Redis."""
    with running_api(settings.model_copy(update={"port": 0})) as url:
        yield url


def test_revocation_closes_the_keys_sockets_in_every_process(
    api_url: str, second_api: str, admin: GraphQLClient
) -> None:
    key_id, secret = _new_key(admin)
    with _open(api_url, secret) as here, _open(second_api, secret) as there:
        for socket in (here, there):
            _subscribe(socket, "events", "subscription { cardEvents { kind cardName } }")
        _revoke(admin, key_id)
        for socket in (here, there):
            code, reason = _close_code(socket)
            assert code == 4403
            assert "revoked" in reason
    # A new socket of the revoked key is refused at connection_init.
    with _raw(second_api) as socket:
        _init(socket, secret)
        assert _close_code(socket)[0] == 4403


def test_an_operation_on_a_socket_is_authorised_against_the_keys_current_state(
    api_url: str, admin: GraphQLClient
) -> None:
    key_id, secret = _new_key(admin, "EDITOR")
    with _open(api_url, secret) as socket:
        _subscribe(socket, "1", "{ viewer { role } }")
        assert _receive(socket)["payload"]["data"]["viewer"]["role"] == "EDITOR"
        assert _receive(socket)["type"] == "complete"
        _revoke(admin, key_id)
        # Whichever comes first, the close or the refusal: the operation gets no data.
        outcome: dict[str, Any] | int
        try:
            _subscribe(socket, "2", "{ cards(first: 1) { totalCount } }")
            outcome = _receive(socket)
        except ConnectionClosed as closed:
            outcome = closed.rcvd.code if closed.rcvd is not None else 0
        if isinstance(outcome, int):
            assert outcome == 4403
        else:
            assert outcome["type"] == "error", outcome
            assert outcome["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_oidc_socket_closes_when_its_token_expires(settings: Settings) -> None:
    key: rsa.RSAPrivateKey = new_signing_key()
    with (
        serving_jwks(key) as jwks,
        running_api(oidc_settings(settings, jwks)) as url,
        _open(url, signed_token(key, role="reader", expires_in=2)) as socket,
    ):
        _subscribe(socket, "events", "subscription { cardEvents { kind } }")
        code, reason = _close_code(socket)
        assert code == 4403
        assert "expired" in reason


@pytest.fixture(scope="module")
def strict_api(settings: Settings) -> Iterator[str]:
    """An API with small WebSocket limits."""
    limited = settings.model_copy(
        update={
            "port": 0,
            "ws_max_connections_per_key": 2,
            "ws_max_operations": 1,
            "ws_connection_init_timeout_s": 0.5,
            "graphql_max_body_bytes": 4096,
        }
    )
    with running_api(limited) as url:
        yield url


def test_sockets_per_key_are_limited(strict_api: str, admin: GraphQLClient) -> None:
    _, secret = _new_key(admin, "READER")
    with _open(strict_api, secret), _open(strict_api, secret), _raw(strict_api) as third:
        _init(third, secret)
        code, reason = _close_code(third)
        assert code == 4429
        assert reason.startswith("RATE_LIMITED")
    with _open(strict_api, secret):  # the others closed: room again
        pass


def test_operations_per_socket_are_limited_with_a_code(
    strict_api: str, keys: dict[Role, str]
) -> None:
    with _open(strict_api, keys[Role.READER]) as socket:
        _subscribe(socket, "a", "subscription { cardEvents { kind } }")
        _subscribe(socket, "b", "subscription { cardEvents { kind } }")
        message = _receive(socket)
        assert message["id"] == "b"
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_socket_without_connection_init_is_closed(strict_api: str) -> None:
    with _raw(strict_api) as socket:
        assert _close_code(socket)[0] == 4408


def test_messages_above_the_http_body_limit_close_the_socket(
    strict_api: str, keys: dict[Role, str]
) -> None:
    padding = " " * 3000  # under the 4096-byte limit: served
    with _open(strict_api, keys[Role.READER]) as socket:
        query = "{ viewer { role } }" + padding
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        assert _receive(socket)["payload"]["data"] == {"viewer": {"role": "READER"}}
        query += padding
        socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": query}}))
        code, reason = _close_code(socket)
        assert code == 1009
        assert reason.startswith("BAD_REQUEST")
