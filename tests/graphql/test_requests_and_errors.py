"""Malformed requests, GraphQL limits, switches, masking and health endpoints."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cardgraph.embedded import free_port
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.servers import GraphQLClient, running_api


@pytest.fixture(scope="module")
def strict_api(settings: Settings) -> Iterator[str]:
    """A second API process on the same database with tight limits and switches off."""
    strict = settings.model_copy(
        update={
            "graphql_max_depth": 3,
            "graphql_max_aliases": 2,
            "graphql_max_tokens": 60,
            "graphql_max_body_bytes": 2048,
            "graphql_introspection": False,
            "graphql_ide": False,
            "port": 0,
        }
    )
    with running_api(strict) as url:
        yield url


@pytest.fixture
def strict(strict_api: str, keys: dict[Role, str]) -> Iterator[GraphQLClient]:
    """An admin client of the strict API."""
    client = GraphQLClient(strict_api, keys[Role.ADMIN])
    yield client
    client.close()


def test_depth_limit(strict: GraphQLClient) -> None:
    error = strict.error(
        '{ card(name: "x") { latestVersion { content { intendedUses { riskRating } } } } }'
    )
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "exceeds maximum operation depth" in error["message"]


def test_alias_limit(strict: GraphQLClient) -> None:
    error = strict.error("{ a: viewer { name } b: viewer { name } c: viewer { name } }")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "aliases" in error["message"].lower()


def test_token_limit(strict: GraphQLClient) -> None:
    fields = " ".join(["name"] * 80)
    error = strict.error(f"{{ viewer {{ {fields} }} }}")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "token" in error["message"].lower()


def test_body_size_limit(strict_api: str, keys: dict[Role, str]) -> None:
    response = httpx.post(
        f"{strict_api}/graphql",
        headers={"Authorization": f"Bearer {keys[Role.ADMIN]}"},
        json={"query": "{ viewer { name } }", "variables": {"pad": "x" * 5000}},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_introspection_and_ide_can_be_turned_off(
    strict: GraphQLClient, admin: GraphQLClient, strict_api: str, api_url: str
) -> None:
    query = "{ __schema { queryType { name } } }"
    assert strict.error(query)["extensions"]["code"] == "BAD_REQUEST"
    assert admin.data(query) == {"__schema": {"queryType": {"name": "Query"}}}
    html = {"Accept": "text/html"}
    assert httpx.get(f"{api_url}/graphql", headers=html).status_code == 200
    assert httpx.get(f"{strict_api}/graphql", headers=html).status_code == 401
    with_key = {**html, "Authorization": strict.http.headers["Authorization"]}
    assert httpx.get(f"{strict_api}/graphql", headers=with_key).status_code == 404


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"query=1", "text/plain"),
        (b'{"query": 5}', "application/json"),
        # Found by the fuzzer: bodies that are JSON but not an object, and undecodable bytes.
        (b"null", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\x00\x00\x00\x00", "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b'{"query": "{ viewer { name } }", "variables": []}', "application/json"),
    ],
)
def test_malformed_bodies_get_json_errors(
    api_url: str, keys: dict[Role, str], content: bytes, content_type: str
) -> None:
    response = httpx.post(
        f"{api_url}/graphql",
        content=content,
        headers={"Authorization": f"Bearer {keys[Role.READER]}", "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ viewer { name ", {}),
        ("{ nonsense }", {}),
        ("query($n: String!) { card(name: $n) { name } }", {"n": 5}),
        ('mutation { setCardStatus(input: {name: "x", status: SHINY}) { number } }', {}),
        ("query($n: String!) { card(name: $n) { name } }", {}),
    ],
)
def test_invalid_documents_and_variables_are_bad_requests(
    reader: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    error = reader.error(query, variables)
    assert error["extensions"]["code"] == "BAD_REQUEST"


def _fail_next(db: Any, command: str, times: int = 1) -> None:
    db.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": times},
            "data": {"failCommands": [command], "errorCode": 2, "errmsg": "injected /secret/path"},
        }
    )


def test_unexpected_errors_are_masked_with_a_request_id(reader: GraphQLClient, db: Any) -> None:
    _fail_next(db, "aggregate")  # count_documents runs an aggregate
    response = reader.http.post(
        "/graphql", json={"query": "{ cards { totalCount } }"}, headers={"X-Request-Id": "req-123"}
    )
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-123"}
    assert "req-123" in error["message"]
    assert "secret" not in response.text and "Traceback" not in response.text


def test_failures_during_authentication_are_masked_too(
    admin: GraphQLClient, api_url: str, db: Any
) -> None:
    secret = admin.data('mutation { createApiKey(name: "unseen", role: READER) { secret } }')[
        "createApiKey"
    ]["secret"]
    unseen = GraphQLClient(api_url, secret)  # the API has not cached this key yet
    _fail_next(db, "find")  # the API key lookup
    response = unseen.post("{ viewer { name } }")
    unseen.close()
    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_health_and_readiness(api_url: str) -> None:
    assert httpx.get(f"{api_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{api_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"mongodb": "ok", "redis": "ok"}


def test_unreachable_database_is_unavailable_not_a_crash(
    settings: Settings, keys: dict[Role, str]
) -> None:
    dead = settings.model_copy(
        update={
            "mongodb_url": f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
            "mongodb_timeout_ms": 300,
            "port": 0,
        }
    )
    with running_api(dead) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["mongodb"].startswith("unreachable")
        assert ready.json()["checks"]["redis"].startswith("unreachable")
        response = httpx.post(
            f"{url}/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"Authorization": f"Bearer {keys[Role.ADMIN]}"},
            timeout=10,
        )
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"


def test_a_client_leaving_mid_request_is_not_an_error(
    api_url: str, keys: dict[Role, str], reader: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {keys[Role.READER]}\r\n".encode()
            + b'Content-Length: 1000\r\n\r\n{"query": '
        )
        time.sleep(0.2)  # the API is now waiting for the rest of the body
    time.sleep(0.3)
    assert reader.data("{ viewer { role } }") == {"viewer": {"role": "READER"}}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
