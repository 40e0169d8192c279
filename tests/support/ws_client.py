"""A minimal graphql-transport-ws client over a real WebSocket (the `websockets` library)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.client import ClientConnection, connect


class GraphQLSocket:
    """One authenticated graphql-transport-ws connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)

    def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        """Start an operation; return its id."""
        operation_id = str(next(self._ids))
        self.connection.send(
            json.dumps(
                {
                    "id": operation_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        return operation_id

    def next_message(self, timeout: float = 30) -> dict[str, Any]:
        """The next protocol message (pings are answered and skipped)."""
        while True:
            message: dict[str, Any] = json.loads(self.connection.recv(timeout=timeout))
            if message["type"] == "ping":
                self.connection.send(json.dumps({"type": "pong"}))
                continue
            return message

    def collect(self, operation_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Every `next`/`error` payload of an operation, until it completes."""
        payloads = []
        while True:
            message = self.next_message(timeout)
            if message.get("id") != operation_id:
                continue
            if message["type"] == "complete":
                return payloads
            payloads.append(message["payload"])
            if message["type"] == "error":
                return payloads

    def stop(self, operation_id: str) -> None:
        """Stop an operation (the client's `complete`)."""
        self.connection.send(json.dumps({"id": operation_id, "type": "complete"}))


@contextmanager
def graphql_socket(api_url: str, key: str) -> Iterator[GraphQLSocket]:
    """Connect, send connection_init with the key, wait for the ack."""
    url = api_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as connection:
        connection.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
        )
        ack = json.loads(connection.recv(timeout=10))
        assert ack["type"] == "connection_ack", ack
        yield GraphQLSocket(connection)
