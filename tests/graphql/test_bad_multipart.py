"""Malformed GraphQL multipart requests (file uploads) are BAD_REQUEST, never INTERNAL."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.servers import GraphQLClient


def _code(response: httpx.Response) -> str:
    assert "Traceback" not in response.text
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def _deep(depth: int) -> str:
    """JSON text nesting `depth` lists."""
    return "[" * depth + "]" * depth


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
