"""Bad input that once answered 500/INTERNAL now gets a coded client error (issue 12, item 6)."""

from __future__ import annotations

import gc
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from cardgraph.access.models import Role
from cardgraph.cli import issue_api_key
from cardgraph.settings import Settings
from tests.cards_api import CARD, UPDATE_CONTENT, create_card
from tests.servers import GraphQLClient, run_async

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


# --- malformed multipart (GraphQL multipart request spec) -----------------------------------

UPLOAD = (
    "mutation($file: Upload!) { ingestMetricsFile(input: "
    '{name: "nobody", fileType: MODEL_CARD_JSON, file: $file}) { id } }'
)
GOOD_OPERATIONS = json.dumps({"query": UPLOAD, "variables": {"file": None}})


def _multipart(fields: list[tuple[str, Any]], boundary: str = "b0undary") -> bytes:
    parts = []
    for name, value in fields:
        if isinstance(value, bytes):  # a file part
            head = f'Content-Disposition: form-data; name="{name}"; filename="m.json"\r\n'
            head += "Content-Type: application/json\r\n"
            parts.append(f"--{boundary}\r\n{head}\r\n".encode() + value + b"\r\n")
        else:
            head = f'Content-Disposition: form-data; name="{name}"\r\n'
            parts.append(f"--{boundary}\r\n{head}\r\n{value}\r\n".encode())
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


MALFORMED_MULTIPART = {
    "operations not JSON": _multipart([("operations", "{nope"), ("map", "{}")]),
    "operations a number": _multipart([("operations", "5"), ("map", "{}")]),
    "operations a list": _multipart([("operations", "[1, 2]"), ("map", "{}")]),
    "operations as a file": _multipart([("operations", b"{}"), ("map", "{}")]),
    "operations missing": _multipart([("map", '{"0": ["variables.file"]}'), ("0", b"{}")]),
    "operations deeply nested": _multipart([("operations", _deep(5000)), ("map", "{}")]),
    "map not JSON": _multipart([("operations", GOOD_OPERATIONS), ("map", "nope")]),
    "map a list": _multipart([("operations", GOOD_OPERATIONS), ("map", '["variables.file"]')]),
    "map paths not a list": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"0": "variables.file"}'), ("0", b"{}")]
    ),
    "map path a number": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"0": [5]}'), ("0", b"{}")]
    ),
    "map names a missing file": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"0": ["variables.file"]}')]
    ),
    "map names a text field": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"map": ["variables.file"]}')]
    ),
    "map points at no variable": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"0": ["variables.nothere.x"]}'), ("0", b"{}")]
    ),
    "map points into a string": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", '{"0": ["query.x"]}'), ("0", b"{}")]
    ),
    "map points past a list": _multipart(
        [
            ("operations", json.dumps({"query": UPLOAD, "variables": {"file": [None]}})),
            ("map", '{"0": ["variables.file.7"]}'),
            ("0", b"{}"),
        ]
    ),
    "map index not a number": _multipart(
        [
            ("operations", json.dumps({"query": UPLOAD, "variables": {"file": [None]}})),
            ("map", '{"0": ["variables.file.first"]}'),
            ("0", b"{}"),
        ]
    ),
    "variables null": _multipart(
        [
            ("operations", json.dumps({"query": UPLOAD, "variables": None})),
            ("map", '{"0": ["variables.file"]}'),
            ("0", b"{}"),
        ]
    ),
    "file not referenced": _multipart(
        [("operations", GOOD_OPERATIONS), ("map", "{}"), ("0", b"{}")]
    ),
}


@pytest.mark.parametrize("body", MALFORMED_MULTIPART.values(), ids=MALFORMED_MULTIPART.keys())
def test_malformed_multipart_is_a_bad_request(editor: GraphQLClient, body: bytes) -> None:
    response = editor.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",  # no boundary at all
        "multipart/form-data; boundary=other",  # not the boundary the body uses
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "x" * 200,
    ],
)
def test_multipart_with_a_wrong_boundary_is_a_bad_request(
    editor: GraphQLClient, content_type: str
) -> None:
    body = _multipart([("operations", GOOD_OPERATIONS), ("map", "{}")])
    response = editor.http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"


def test_a_truncated_multipart_body_is_a_bad_request(editor: GraphQLClient) -> None:
    body = _multipart([("operations", GOOD_OPERATIONS), ("map", "{}")])
    response = editor.http.post(
        "/graphql",
        content=body[: len(body) // 2],
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 400, response.text
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


# --- stored documents with values no enum knows ---------------------------------------------


@contextmanager
def _damaged_copy(
    editor: GraphQLClient, db: Any, card_changes: dict[str, Any], damage: Callable[[Any], None]
) -> Iterator[str]:
    """A copy of a freshly created card under a new name (so no API process has it cached),
    with `card_changes` in its summary and each version document passed through `damage`."""
    original = f"card-{uuid.uuid4().hex[:12]}"
    create_card(editor, original, {"intended_uses": {"risk_rating": "Low"}})
    card = db.cards.find_one({"name": original, "deleted": False})
    copy_id = f"damaged-{uuid.uuid4().hex}"
    name = f"damaged-{uuid.uuid4().hex[:12]}"
    db.cards.insert_one({**card, "_id": copy_id, "name": name, "live_name": name, **card_changes})
    for version in db.card_versions.find({"card_id": card["_id"]}):
        copy = {**version, "_id": f"{copy_id}:{version['number']}", "card_id": copy_id}
        damage(copy)
        db.card_versions.insert_one(copy)
    try:
        yield name
    finally:
        db.cards.delete_one({"_id": copy_id})
        db.card_versions.delete_many({"card_id": copy_id})


@pytest.fixture
def damaged_card(editor: GraphQLClient, db: Any) -> Iterator[str]:
    """A card stored with a version status and a risk rating nobody knows."""
    with _damaged_copy(
        editor, db, {"risk_rating": "Extreme"}, lambda version: version.update(status="BOGUS")
    ) as name:
        yield name


def test_a_stored_unknown_enum_inside_content_is_a_data_integrity_error(
    reader: GraphQLClient, editor: GraphQLClient, db: Any
) -> None:
    def damage(version: Any) -> None:
        version["content_json"] = version["content_json"].replace('"Low"', '"Extreme"')

    query = """query($name: String!) {
      card(name: $name) { name latestVersion { number content { intendedUses { riskRating } } } }
    }"""
    with _damaged_copy(editor, db, {}, damage) as name:
        body = reader.execute(query, {"name": name})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "DATA_INTEGRITY", body
    assert error["path"] == ["card", "latestVersion", "content"]
    assert "Extreme" not in json.dumps(body)


def test_a_stored_unknown_version_status_is_a_coded_data_integrity_error(
    reader: GraphQLClient, damaged_card: str
) -> None:
    body = reader.execute(CARD, {"name": damaged_card})
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"][:2] in (
            ["card", "latestVersion"],
            ["card", "versions"],
            ["card", "riskRating"],
        )
    assert "BOGUS" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_reads_that_do_not_touch_the_damaged_values_still_work(
    reader: GraphQLClient, damaged_card: str
) -> None:
    query = """query($name: String) {
      cards(filter: {nameContains: $name}) { totalCount edges { node { name status } } }
    }"""
    data = reader.data(query, {"name": damaged_card})
    assert data["cards"]["edges"] == [{"node": {"name": damaged_card, "status": "DRAFT"}}]
    body = reader.execute(
        "query($name: String) { cards(filter: {nameContains: $name}) "
        "{ edges { node { name riskRating } } } }",
        {"name": damaged_card},
    )
    assert body["errors"][0]["extensions"]["code"] == "DATA_INTEGRITY"
    assert body["errors"][0]["path"] == ["cards", "edges", 0, "node", "riskRating"]


def test_a_stored_unknown_job_state_is_a_coded_data_integrity_error(
    admin: GraphQLClient, db: Any
) -> None:
    job_id = f"damaged-{uuid.uuid4().hex}"
    doc = db.jobs.find_one({}) or {}
    now = db.client.admin.command("hello")["localTime"]
    db.jobs.insert_one(
        {
            "_id": job_id,
            "kind": "EXPORT_CARD_PDF",
            "state": "LIMBO",
            "input": {},
            "requested_by": "apikey:test-admin",
            "created_at": now,
            "updated_at": now,
            "card_name": doc.get("card_name"),
        }
    )
    try:
        error = admin.error("query($id: ID!) { job(id: $id) { id state } }", {"id": job_id})
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"] == ["job"]
        error = admin.error("{ jobs(first: 100) { edges { node { id } } } }")
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
    finally:
        db.jobs.delete_one({"_id": job_id})
    assert "errors" not in admin.execute("{ jobs(first: 100) { edges { node { id } } } }")


def test_a_stored_unknown_key_role_never_authenticates_and_is_coded_in_lists(
    admin: GraphQLClient, api_url: str, settings: Settings, db: Any
) -> None:
    key, secret = run_async(
        issue_api_key(settings, f"damaged-{uuid.uuid4().hex[:8]}", Role.READER, "tests")
    )
    db.api_keys.update_one({"_id": key.id}, {"$set": {"role": "OVERLORD"}})
    try:
        damaged = GraphQLClient(api_url, secret)
        response = damaged.post(VIEWER)
        damaged.close()
        assert response.status_code == 401, response.text
        assert _code(response) == "UNAUTHENTICATED"
        error = admin.error("{ apiKeys { id role } }")
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"] == ["apiKeys"]
    finally:
        db.api_keys.delete_one({"_id": key.id})
    assert "errors" not in admin.execute("{ apiKeys { id role } }")


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
    assert "subscriptions are not allowed" in response.json()["errors"][0]["message"]
