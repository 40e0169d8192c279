"""A test identity provider: an RSA key, its JWKS on loopback, and the tokens it signs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from cardgraph.settings import Settings
from tests.support.servers import serving_http

ISSUER, AUDIENCE = "https://login.example.test/", "cardgraph"


@contextmanager
def serving_jwks(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The provider's JWKS document on a loopback HTTP server; yields its URL."""
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "key-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    with serving_http(Handler) as url:
        yield f"{url}/jwks.json"


def new_signing_key() -> rsa.RSAPrivateKey:
    """A fresh provider key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def oidc_settings(settings: Settings, jwks_url: str) -> Settings:
    """`settings` accepting the provider's tokens, on a port of their own."""
    return settings.model_copy(
        update={
            "port": 0,
            "oidc_issuer": ISSUER,
            "oidc_audience": AUDIENCE,
            "oidc_jwks_url": jwks_url,
        }
    )


def signed_token(
    key: Any,
    *,
    role: Any = "editor",
    audience: str = AUDIENCE,
    issuer: str = ISSUER,
    expires_in: float = 300,
    kid: str = "key-1",
) -> str:
    """A token of the provider's (valid unless told otherwise)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": "user-42",
        "iat": now,
        "exp": int(now + expires_in),
        "preferred_username": "ada",
    }
    if role is not None:
        claims["cardgraph_role"] = role
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
