"""Bad input that once answered 500/INTERNAL now gets a coded client error (issue 12, item 6)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import UPDATE_CONTENT, create_card
from tests.support.servers import GraphQLClient

VIEWER = "{ viewer { name } }"


def _deep(depth: int) -> str:
    """JSON text nesting `depth` lists."""
    return "[" * depth + "]" * depth


def _code(response: httpx.Response) -> str:
    assert "Traceback" not in response.text
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# --- bodies over the size limit -------------------------------------------------------------


def test_a_chunked_body_over_the_limit_is_413(
    api_url: str, keys: dict[Role, str], settings: Settings
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ viewer { name } }", "variables": {"pad": "'
        for _ in range(settings.graphql_max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}}'

    response = httpx.post(  # no Content-Length: the body is sent chunked
        f"{api_url}/graphql",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {keys[Role.READER]}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 413, response.text
    assert _code(response) == "BAD_REQUEST"


# --- deeply nested JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1025, 1500, 5000])
def test_deep_json_in_variables_is_a_bad_request(reader: GraphQLClient, depth: int) -> None:
    body = f'{{"query": "{VIEWER}", "variables": {{"v": {_deep(depth)}}}}}'
    response = reader.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"
    assert "nested too deeply" in response.json()["errors"][0]["message"]


def test_json_as_deep_as_the_parser_takes_is_served(reader: GraphQLClient) -> None:
    # The body's object holds `variables`, which holds `v`: 1,022 levels of lists fit.
    body = f'{{"query": "{VIEWER}", "variables": {{"v": {_deep(1022)}}}}}'
    response = reader.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.json() == {"data": {"viewer": {"name": "test-reader"}}}


def test_deep_json_in_the_body_and_in_a_query_string_is_a_bad_request(
    reader: GraphQLClient,
) -> None:
    response = reader.http.post(
        "/graphql", content=_deep(5000), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"
    for name in ("variables", "extensions"):
        response = reader.http.get("/graphql", params={"query": VIEWER, name: _deep(5000)})
        assert response.status_code == 400, response.text
        assert _code(response) == "BAD_REQUEST"


def test_deep_json_over_a_websocket_closes_it_as_a_bad_message(
    api_url: str, keys: dict[Role, str]
) -> None:
    url = api_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as socket:
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {keys[Role.READER]}"},
        }
        socket.send(json.dumps(init))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        socket.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "' + VIEWER + '", '
            '"variables": {"v": ' + _deep(5000) + "}}}"
        )
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    assert socket.close_code == 4400, (socket.close_code, socket.close_reason)


@pytest.mark.parametrize("mutation", ["createCard", "updateCardContent"])
def test_a_deeply_nested_content_json_string_fails_validation_with_a_path(
    editor: GraphQLClient, card_name: str, mutation: str
) -> None:
    nested = '{"a": ' * 20_000 + "{}" + "}" * 20_000
    if mutation == "createCard":
        query = "mutation($input: CreateCardInput!) { createCard(input: $input) { number } }"
    else:
        create_card(editor, card_name)
        query = UPDATE_CONTENT
    error = editor.error(query, {"input": {"name": card_name, "contentJson": nested}})
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["fields"][0]["path"] == "$"
    assert "deep" in error["extensions"]["fields"][0]["reason"]


# --- huge strings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "query($s: String) { cards(filter: {nameContains: $s}) { totalCount } }",
        "mutation($s: String) { exportCards(format: PDF, filter: {nameContains: $s}) { id } }",
    ],
)
def test_a_name_filter_longer_than_a_name_is_a_bad_request(
    editor: GraphQLClient, query: str
) -> None:
    error = editor.error(query, {"s": "a" * 900_000})
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert "nameContains" in error["message"]
    if "cards(" in query:  # as long as a card name may be, it is an ordinary filter
        assert "errors" not in editor.execute(query, {"s": "a" * 63})


# --- the database dying under a write -------------------------------------------------------


def test_a_write_cut_off_by_the_database_is_unavailable(
    editor: GraphQLClient, card_name: str, db: Any
) -> None:
    create_card(editor, card_name)
    # The connection drops under the next bulkWrite: pymongo reports an AutoReconnect inside a
    # ClientBulkWriteException.
    db.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": ["bulkWrite"], "closeConnection": True},
        }
    )
    try:
        content = {"model_overview": {"model_description": "cut off"}}
        error = editor.error(UPDATE_CONTENT, {"input": {"name": card_name, "contentJson": content}})
    finally:
        db.client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    assert error["extensions"]["code"] == "UNAVAILABLE", error
    assert error["path"] == ["updateCardContent"]


# --- one bad argument next to good fields ---------------------------------------------------


def test_a_failing_field_leaves_its_siblings_database_calls_to_finish(
    reader: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bad `first` nulls the whole result; graphql-core used to cancel the sibling fields in
    # the middle of their database calls, and PyMongo left each of their sockets unclosed.
    leaked: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: leaked.append(repr(raised.exc_value)))
    query = (
        '{ a: job(id: "none") { id } b: jobs { totalCount } c: cards(first: -5) { totalCount } }'
    )
    for _ in range(30):
        error = reader.error(query)
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert error["path"] == ["c"]
    gc.collect()
    assert [r for r in leaked if "socket" in r] == []


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_subscription_over_plain_http_is_a_bad_request(
    reader: GraphQLClient, method: str
) -> None:
    query = "subscription { cardEvents { kind } }"
    if method == "POST":
        response = reader.http.post("/graphql", json={"query": query})
    else:
        response = reader.http.get("/graphql", params={"query": query})
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"
    message = response.json()["errors"][0]["message"]
    assert f"subscriptions are not served over HTTP {method}" in message  # it says where
    assert "WebSocket" in message
