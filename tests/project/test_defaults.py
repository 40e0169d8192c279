"""Defaults, as `cardgraph serve` and the image run: no introspection, no IDE (`dev`: both on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cardgraph.cli import dev_settings, issue_api_key, uvicorn_options
from cardgraph.embedded import EmbeddedServer
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.servers import GraphQLClient, run_async, running_api

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Card") { fields { name } } }'


@pytest.fixture(scope="module")
def default_settings(
    mongodb_server: EmbeddedServer, redis_server: EmbeddedServer, tmp_path_factory: Any
) -> Settings:
    """Settings left at their defaults but for where the servers are."""
    data_dir: Path = tmp_path_factory.mktemp("defaults")
    return Settings(
        mongodb_url=mongodb_server.url,
        redis_url=redis_server.url,
        mongodb_database="cardgraph_defaults",
        data_dir=data_dir,
        port=0,
    )


@pytest.fixture(scope="module")
def serve_like(default_settings: Settings) -> Iterator[tuple[str, str]]:
    """An API built from default settings, as `cardgraph serve` builds it, and an admin key."""
    with running_api(default_settings) as url:
        _, key = run_async(issue_api_key(default_settings, "defaults", Role.ADMIN, "tests"))
        yield url, key


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
def test_serve_refuses_introspection_by_default(serve_like: tuple[str, str], query: str) -> None:
    url, key = serve_like
    client = GraphQLClient(url, key)
    try:
        body = client.execute(query)
    finally:
        client.close()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "introspection" in body["errors"][0]["message"].lower()


def test_serve_serves_no_ide_page_by_default(serve_like: tuple[str, str]) -> None:
    url, key = serve_like
    html = {"Accept": "text/html"}
    for headers in (html, {**html, "Authorization": f"Bearer {key}"}):
        response = httpx.get(f"{url}/graphql", headers=headers, timeout=30)
        assert response.status_code in (401, 404), response.status_code
        assert "graphiql" not in response.text.lower()


def test_dev_turns_both_on_unless_set_explicitly() -> None:
    assert Settings().graphql_introspection is False
    assert Settings().graphql_ide is False
    dev = dev_settings(Settings())
    assert (dev.graphql_introspection, dev.graphql_ide) == (True, True)
    chosen = dev_settings(Settings(graphql_ide=False))
    assert (chosen.graphql_introspection, chosen.graphql_ide) == (True, False)


def test_dev_keeps_a_switch_set_off_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDGRAPH_GRAPHQL_INTROSPECTION", "false")
    dev = dev_settings(Settings())
    assert (dev.graphql_introspection, dev.graphql_ide) == (False, True)


def test_serve_bounds_idle_connections_and_concurrency() -> None:
    options = uvicorn_options(Settings(http_keep_alive_s=7, http_max_concurrency=64))
    assert options["timeout_keep_alive"] == 7
    assert options["limit_concurrency"] == 64
