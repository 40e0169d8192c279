"""GraphQL over HTTP as the spec has it: graphql-http's audit suite, media types, statuses.

`application/graphql-response+json` gets its own media type and 4xx for request errors;
`application/json` keeps 200 for GraphQL errors. A request error never carries `data`; a
mutation over GET is 405; a subscription over HTTP is a clear client error on every method
and body type (subscriptions run over the WebSocket).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from cardgraph.principals import Role
from tests.support.node_clients import NodeProject

GRAPHQL_JSON = "application/graphql-response+json"
SUBSCRIPTION = "subscription { cardEvents { kind cardName } }"


@pytest.fixture(scope="module")
def http(api_url: str, keys: dict[Role, str]) -> Any:
    """An httpx client of the session's API with the reader's key."""
    headers = {"Authorization": f"Bearer {keys[Role.READER]}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as client:
        yield client


def test_the_graphql_http_audit_finds_nothing_to_report(
    node_project: NodeProject, api_url: str, keys: dict[Role, str]
) -> None:
    report = node_project.run("http_audit.mjs", f"{api_url}/graphql", api_key=keys[Role.READER])
    results = report["results"]
    assert len(results) > 50, report  # the whole suite ran
    findings = [
        f"{r['status']} {r['id']} {r['name']}: {r['reason']} (got {r['response']})"
        for r in results
        if r["status"] != "ok"
    ]
    assert findings == [], "\n".join(findings)


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_JSON, "text/html", "*/*"])
def test_a_mutation_over_get_is_405_and_runs_nothing(
    http: httpx.Client, keys: dict[Role, str], accept: str
) -> None:
    name = f"get-{uuid.uuid4().hex[:12]}"
    mutation = f'mutation {{ createCard(input: {{name: "{name}"}}) {{ number }} }}'
    response = http.get(
        "/graphql",
        params={"query": mutation},
        headers={"Accept": accept, "Authorization": f"Bearer {keys[Role.ADMIN]}"},
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "POST" in body["errors"][0]["message"]
    check = http.post("/graphql", json={"query": f'{{ card(name: "{name}") {{ name }} }}'})
    assert check.json() == {"data": {"card": None}}


REQUEST_ERRORS = [
    pytest.param({"query": "{ viewer { name "}, id="syntax"),
    pytest.param({"query": "{ nonsense }"}, id="validation"),
    pytest.param(
        {"query": "query($n: String!) { card(name: $n) { name } }", "variables": {"n": 5}},
        id="variable-coercion",
    ),
    pytest.param(
        {"query": "query($n: String!) { card(name: $n) { name } }"}, id="variable-missing"
    ),
    pytest.param({"query": "{ a: __typename b: __typename c: __typename " * 200 + "}"}, id="limit"),
]


@pytest.mark.parametrize("payload", REQUEST_ERRORS)
def test_request_errors_leave_out_data_and_are_400_with_graphql_response_json(
    http: httpx.Client, payload: dict[str, Any]
) -> None:
    legacy = http.post("/graphql", json=payload, headers={"Accept": "application/json"})
    spec = http.post("/graphql", json=payload, headers={"Accept": GRAPHQL_JSON})
    assert legacy.headers["content-type"] == "application/json"
    assert spec.headers["content-type"] == f"{GRAPHQL_JSON}; charset=utf-8"
    assert spec.status_code == 400, spec.text
    assert legacy.status_code in (200, 400), legacy.text  # 400: limits refused as before
    for response in (legacy, spec):
        body = response.json()
        assert "data" not in body, body
        error = body["errors"][0]
        assert error["extensions"]["code"] in ("BAD_REQUEST", "COST_LIMIT"), body
        assert error["message"], body
    assert legacy.json() == spec.json()


def test_json_keeps_200_for_document_errors(http: httpx.Client) -> None:
    response = http.post("/graphql", json={"query": "{ nonsense }"})  # no Accept: JSON
    assert response.status_code == 200
    assert response.json()["errors"][0]["locations"] == [{"line": 1, "column": 3}]


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_JSON])
def test_field_errors_keep_data_and_200(http: httpx.Client, accept: str) -> None:
    response = http.post(
        "/graphql",
        json={"query": 'mutation { createApiKey(name: "nope", role: READER) { secret } }'},
        headers={"Accept": accept},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["createApiKey"]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html", "application/json"),
        (GRAPHQL_JSON, GRAPHQL_JSON),
        (f"{GRAPHQL_JSON}, application/json;q=0.9", GRAPHQL_JSON),
        (f"application/json, {GRAPHQL_JSON}", GRAPHQL_JSON),  # graphql-http's own client
        (f"application/json, {GRAPHQL_JSON};q=0.5", "application/json"),
        (f"{GRAPHQL_JSON};q=0.5, */*", "application/json"),
        (f"{GRAPHQL_JSON};q=0", "application/json"),
    ],
)
def test_the_accept_header_chooses_the_media_type(
    http: httpx.Client, accept: str | None, media_type: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    response = http.post(
        "/graphql", content=json.dumps({"query": "{ viewer { name } }"}), headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.json() == {"data": {"viewer": {"name": "test-reader"}}}


def test_errors_before_execution_come_in_the_negotiated_media_type(api_url: str) -> None:
    anonymous = httpx.post(
        f"{api_url}/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Accept": GRAPHQL_JSON},
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(GRAPHQL_JSON)
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _subscription_requests() -> list[Any]:
    """Every way a subscription can reach /graphql over plain HTTP."""
    query = json.dumps({"query": SUBSCRIPTION})
    several = json.dumps(
        {
            "query": f"query A {{ __typename }} subscription B {SUBSCRIPTION[13:]}",
            "operationName": "B",
        }
    )
    accepts = [
        "application/json",
        GRAPHQL_JSON,
        "text/event-stream",
        'multipart/mixed;subscriptionSpec="1.0"',
    ]
    cases = []
    for accept in accepts:
        cases.append(
            pytest.param("GET", {"params": {"query": SUBSCRIPTION}}, accept, id=f"GET {accept}")
        )
        json_body = {"content": query, "headers": {"Content-Type": "application/json"}}
        cases.append(pytest.param("POST", json_body, accept, id=f"POST json {accept}"))
    upload = {"files": {"operations": (None, query), "map": (None, "{}")}}
    cases.append(pytest.param("POST", upload, "application/json", id="POST multipart"))
    named = {"content": several, "headers": {"Content-Type": "application/json"}}
    cases.append(pytest.param("POST", named, "application/json", id="POST named among several"))
    return cases


@pytest.mark.parametrize(("method", "request_args", "accept"), _subscription_requests())
def test_a_subscription_over_http_is_a_clear_client_error(
    http: httpx.Client, method: str, request_args: dict[str, Any], accept: str
) -> None:
    headers = {"Accept": accept, **request_args.pop("headers", {})}
    response = http.request(method, "/graphql", headers=headers, **request_args)
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST", body
    assert "WebSocket" in error["message"] and "graphql-transport-ws" in error["message"], body


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/graphql", SUBSCRIPTION),
        ("application/x-www-form-urlencoded", f"query={SUBSCRIPTION}"),
        ("text/plain", json.dumps({"query": SUBSCRIPTION})),
        ("application/json", json.dumps([{"query": SUBSCRIPTION}])),
    ],
)
def test_a_subscription_in_an_unsupported_body_is_a_client_error(
    http: httpx.Client, content_type: str, content: str
) -> None:
    response = http.post("/graphql", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/graphql", json={"query": SUBSCRIPTION})
    assert response.status_code == 405, response.text
    assert "POST" in response.headers["allow"], response.headers


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_JSON])
def test_several_operations_without_a_name_run_none(
    api_url: str, keys: dict[Role, str], accept: str
) -> None:
    name = f"ops-{uuid.uuid4().hex[:12]}"
    document = (
        f'mutation Make {{ createCard(input: {{name: "{name}"}}) {{ number }} }}\n'
        f'query Look {{ card(name: "{name}") {{ name }} }}'
    )
    headers = {"Authorization": f"Bearer {keys[Role.ADMIN]}", "Accept": accept}
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as admin:
        refused = admin.post("/graphql", json={"query": document})
        assert refused.status_code == (400 if accept == GRAPHQL_JSON else 200), refused.text
        body = refused.json()
        assert "data" not in body, body
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body
        assert "operationName" in body["errors"][0]["message"]
        # Nothing ran: the first operation (the one strawberry would fall back to) made no card.
        look = admin.post("/graphql", json={"query": document, "operationName": "Look"})
        assert look.json() == {"data": {"card": None}}, look.text
        made = admin.post("/graphql", json={"query": document, "operationName": "Make"})
        assert made.json() == {"data": {"createCard": {"number": 1}}}, made.text
