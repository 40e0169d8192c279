"""Sending one fuzzed operation over any transport, and what every answer must look like."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.exceptions import ConnectionClosed

from tests.support.fuzz_values import Upload
from tests.support.ws_client import GraphQLSocket, graphql_socket

# Never an answer to bad input while the servers are up: a bug, a server's fault, or damage.
FAILURE_CODES = {"INTERNAL", "UNAVAILABLE", "DATA_INTEGRITY"}
_CODE = re.compile(r"[A-Z][A-Z_]*")
# Close codes a socket may end with on bad input: message too big, or a bad message.
ACCEPTED_CLOSE_CODES = {1009, 4400}
# How long a subscription may take to answer before it is stopped anyway (a stream that
# waits for events never answers).
SETTLE_S = 0.1
# Longest URL a GET carries (servers and proxies refuse longer ones anyway).
MAX_URL = 8000


def check_payload(payload: dict[str, Any], context: object) -> None:
    """Every error of a GraphQL result has a code that blames the input, and no trace."""
    assert isinstance(payload, dict), (payload, context)
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and _CODE.fullmatch(code), (error, context)
        assert code not in FAILURE_CODES, (error, context)
        assert "Traceback" not in json.dumps(error), (error, context)


def check_http(response: httpx.Response, context: object) -> None:
    """A 4xx or 200 answer, JSON with coded errors."""
    assert response.status_code < 500, (response.status_code, response.text[:3000], context)
    assert "Traceback" not in response.text
    body = response.json()
    if response.status_code != 200:
        assert body.get("errors"), (response.status_code, body, context)
    check_payload(body, context)


def without_uploads(variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Variables with each Upload replaced by its `null` placeholder, and the multipart
    `map` paths of the files."""
    files: dict[str, bytes] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, Upload):
            files[path] = value.content
            return None
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(value)]
        return value

    return walk(variables, "variables"), files


def send_http(
    http: httpx.Client, transport: str, query: str, variables: dict[str, Any]
) -> httpx.Response:
    """POST JSON, GET with a query string (queries that fit in a URL), or multipart."""
    plain, files = without_uploads(variables)
    if files or transport == "multipart":
        mapping = {str(i): [path] for i, path in enumerate(files)}
        fields = {"operations": json.dumps({"query": query, "variables": plain})}
        fields["map"] = json.dumps(mapping)
        body = multipart_body(fields, dict(zip(mapping, files.values(), strict=True)))
        content_type = f"multipart/form-data; boundary={_BOUNDARY}"
        return http.post("/graphql", content=body, headers={"Content-Type": content_type})
    if transport == "get":
        params = urlencode({"query": query, "variables": json.dumps(plain)})
        if len(params) <= MAX_URL:
            return http.get(f"/graphql?{params}")
    return http.post("/graphql", json={"query": query, "variables": plain})


_BOUNDARY = "fuzz-boundary-7d1c"


def multipart_body(fields: dict[str, str], files: dict[str, bytes]) -> bytes:
    """A multipart/form-data body: text fields first, then file parts (the spec's order)."""
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in fields.items()
    ]
    for name, content in files.items():
        head = f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="m"\r\n'
        parts.append(f"{head}Content-Type: application/octet-stream\r\n\r\n".encode())
        parts[-1] += content + b"\r\n"
    return b"".join(parts) + f"--{_BOUNDARY}--\r\n".encode()


class FuzzSocket:
    """A graphql-transport-ws connection that reconnects after an accepted close."""

    def __init__(self, api_url: str, key: str) -> None:
        self._api_url = api_url
        self._key = key
        self._opened: Any = None
        self._socket: GraphQLSocket | None = None
        self.closes: list[int | None] = []

    def _connected(self) -> GraphQLSocket:
        if self._socket is None:
            self._opened = graphql_socket(self._api_url, self._key)
            self._socket = self._opened.__enter__()
        return self._socket

    def close(self) -> None:
        """Close the connection, if open."""
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
        self._opened = self._socket = None

    def run(self, query: str, variables: dict[str, Any], subscription: bool) -> None:
        """Run one operation and check every message about it (a subscription only until the
        server has answered a ping sent after it: streams run forever)."""
        socket = self._connected()
        try:
            # Files cannot travel over a socket: their placeholders go as they are (null).
            operation_id = socket.subscribe(query, without_uploads(variables)[0])
            if subscription:
                payloads = self._until_pong(socket, operation_id)
                socket.stop(operation_id)
            else:
                payloads = socket.collect(operation_id, timeout=60)
        except ConnectionClosed as closed:
            self.closes.append(closed.rcvd.code if closed.rcvd else None)
            self.close()
            payloads = []
        if self.closes:
            assert self.closes[-1] in ACCEPTED_CLOSE_CODES, (self.closes, query)
        for payload in payloads:
            # `error` messages carry a list of errors, `next` messages a result.
            check_payload(payload if isinstance(payload, dict) else {"errors": payload}, query)

    @staticmethod
    def _until_pong(socket: GraphQLSocket, operation_id: str) -> list[Any]:
        socket.connection.send(json.dumps({"type": "ping"}))
        payloads = []
        answered = False
        while True:
            try:
                # After the pong, a little longer for the stream's first answer: stopping it in
                # the middle of its first database read is what a client may do, but PyMongo
                # then leaves the socket to the garbage collector (see sibling_fields).
                message = socket.next_message(timeout=30 if not answered else SETTLE_S)
            except TimeoutError:
                return payloads
            if message["type"] == "pong":
                answered = True
            elif message.get("id") == operation_id and "payload" in message:
                payloads.append(message["payload"])
            if answered and (payloads or message.get("id") == operation_id):
                return payloads
