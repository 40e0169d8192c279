"""OIDC bearer tokens, with the issuer's JWKS served on loopback by the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import ConnectionClosed

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.oidc_issuer import (
    new_signing_key,
    oidc_settings,
    serving_jwks,
    signed_token,
)
from tests.support.servers import GraphQLClient, running_api
from tests.support.ws_client import graphql_socket


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    """The identity provider's key."""
    return new_signing_key()


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The provider's JWKS document on a loopback HTTP server."""
    with serving_jwks(signing_key) as url:
        yield url


@pytest.fixture(scope="module")
def oidc_api(settings: Settings, jwks_url: str) -> Iterator[str]:
    """An API accepting the provider's tokens (and API keys)."""
    with running_api(oidc_settings(settings, jwks_url)) as url:
        yield url


_token = signed_token


def _viewer(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": "{ viewer { name role via } }"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_valid_token_acts_with_its_role(oidc_api: str, signing_key: Any, card_name: str) -> None:
    token = _token(signing_key)
    assert _viewer(oidc_api, token).json()["data"]["viewer"] == {
        "name": "ada",
        "role": "EDITOR",
        "via": "OIDC",
    }
    client = GraphQLClient(oidc_api, token)
    try:
        created = client.data(
            "mutation($n: String!) { createCard(input: {name: $n}) { createdBy } }",
            {"n": card_name},
        )
        assert created["createCard"]["createdBy"] == "oidc:ada"
        error = client.error("mutation($n: String!) { deleteCard(name: $n) }", {"n": card_name})
        assert error["extensions"]["code"] == "FORBIDDEN"
    finally:
        client.close()
    highest = _viewer(oidc_api, _token(signing_key, role=["reader", "approver"]))
    assert highest.json()["data"]["viewer"]["role"] == "APPROVER"


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda key, other: _token(key, expires_in=-60), "expired"),
        (lambda key, other: _token(other), "invalid token"),
        (lambda key, other: _token(key, audience="someone-else"), "audience"),
        (lambda key, other: _token(key, issuer="https://evil.example.test/"), "issuer"),
        (lambda key, other: _token(key, role=None), "no cardgraph role"),
        (lambda key, other: _token(key, role="superuser"), "no cardgraph role"),
        (lambda key, other: "not.a.token", "invalid token"),
    ],
    ids=[
        "expired",
        "wrongly-signed",
        "wrong-audience",
        "wrong-issuer",
        "no-role",
        "unknown-role",
        "garbage",
    ],
)
def test_bad_tokens_are_unauthenticated(
    oidc_api: str, signing_key: Any, build: Any, reason: str
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _viewer(oidc_api, build(signing_key, other))
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"].lower()


def test_api_keys_still_work_beside_tokens(oidc_api: str, keys: dict[Role, str]) -> None:
    assert _viewer(oidc_api, keys[Role.READER]).json()["data"]["viewer"]["via"] == "API_KEY"


def test_websocket_connection_init_takes_tokens(oidc_api: str, signing_key: Any) -> None:
    with graphql_socket(oidc_api, _token(signing_key)) as socket:
        payload = socket.collect(socket.subscribe("{ viewer { name via } }"))[0]
        assert payload["data"]["viewer"] == {"name": "ada", "via": "OIDC"}
    with (
        pytest.raises((AssertionError, ConnectionClosed)) as refused,
        graphql_socket(oidc_api, _token(signing_key, expires_in=-60)),
    ):
        pass
    if isinstance(refused.value, ConnectionClosed):
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4403
