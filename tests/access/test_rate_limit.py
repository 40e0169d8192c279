"""Per-key rate limits, counted in Redis across API processes, on HTTP and WebSocket alike."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis

from cardgraph.access.rate_limit import RateLimiter
from cardgraph.cli import issue_api_key
from cardgraph.embedded import free_port
from cardgraph.principals import Principal, Role
from cardgraph.settings import Settings
from tests.support.servers import run_async, running_api
from tests.support.ws_client import graphql_socket

PER_MINUTE = 3
VIEWER = {"query": "{ viewer { name } }"}


@pytest.fixture(scope="module")
def limited(settings: Settings) -> Iterator[tuple[str, str]]:
    """Two API processes on the same database and Redis, each allowing 3 operations a minute."""
    slow = settings.model_copy(update={"rate_limit_per_minute": PER_MINUTE, "port": 0})
    with running_api(slow) as first, running_api(slow) as second:
        yield first, second


def _key(settings: Settings) -> str:
    """A fresh key, so no other test has spent its allowance."""
    name = f"rate-{uuid.uuid4().hex[:8]}"
    secret: str = run_async(issue_api_key(settings, name, Role.READER, "tests"))[1]
    return secret


def _post(url: str, key: str) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=VIEWER, headers={"Authorization": f"Bearer {key}"})


def test_a_key_past_its_rate_gets_429_and_another_key_does_not(
    limited: tuple[str, str], settings: Settings
) -> None:
    url, _ = limited
    spender, bystander = _key(settings), _key(settings)
    for _ in range(PER_MINUTE):
        assert _post(url, spender).status_code == 200
    refused = _post(url, spender)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "3 operations a minute" in error["message"]
    assert _post(url, bystander).status_code == 200


def test_the_allowance_is_shared_by_every_api_process(
    limited: tuple[str, str], settings: Settings
) -> None:
    first, second = limited
    key = _key(settings)
    for _ in range(PER_MINUTE):
        assert _post(first, key).status_code == 200
    assert _post(second, key).status_code == 429


def test_operations_over_a_websocket_count_and_are_refused_with_a_code(
    limited: tuple[str, str], settings: Settings
) -> None:
    url, _ = limited
    key = _key(settings)
    with graphql_socket(url, key) as socket:
        for _ in range(PER_MINUTE):
            answer = socket.collect(socket.subscribe(VIEWER["query"]))
            assert answer[0]["data"]["viewer"]["name"].startswith("rate-"), answer
        refused = socket.collect(socket.subscribe(VIEWER["query"]))
        error = refused[0][0]
        assert error["extensions"]["code"] == "RATE_LIMITED", refused
        assert error["extensions"]["retryAfter"] >= 1
    assert _post(url, key).status_code == 429  # the same allowance as over HTTP


def test_without_redis_operations_go_through_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def check_twice() -> None:
        # Nothing listens on this port: every Redis call fails at once.
        redis = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)
        limiter = RateLimiter(redis, per_minute=1, burst=1)
        principal = Principal(key_id="no-redis", name="no-redis", role=Role.READER)
        try:
            await limiter.check(principal)
            await limiter.check(principal)
        finally:
            await redis.aclose()

    with caplog.at_level(logging.WARNING, logger="cardgraph.access"):
        run_async(check_twice())
    warnings = [r for r in caplog.records if "rate limit not applied" in r.getMessage()]
    assert len(warnings) == 1  # once per pause, not once per operation


def test_a_rate_of_zero_counts_nothing(api_url: str, settings: Settings) -> None:
    assert settings.rate_limit_per_minute == 0
    key = _key(settings)
    for _ in range(PER_MINUTE + 2):
        assert _post(api_url, key).status_code == 200
