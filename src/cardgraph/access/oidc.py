"""OpenID Connect bearer tokens: signature from the issuer's JWKS, issuer, audience, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt import PyJWKClient

from cardgraph.errors import UnauthenticatedError, UnavailableError
from cardgraph.principals import Principal, Role

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class OidcVerifier:
    """Turns a JWT from the configured issuer into a principal; the role comes from a claim."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, role_claim: str) -> None:
        self._issuer = issuer
        self._audience = audience
        self._role_claim = role_claim
        self._jwks = PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    async def authenticate(self, token: str) -> Principal:
        """Verify a token; UNAUTHENTICATED for any token that is not good for this service."""
        try:
            # The JWKS fetch is blocking (and cached): keep it off the event loop.
            key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthenticatedError("the token has expired") from None
        except jwt.PyJWKClientConnectionError:
            raise UnavailableError("the identity provider's keys cannot be fetched") from None
        except jwt.PyJWTError as error:
            raise UnauthenticatedError(f"invalid token: {error}") from None
        role = _role(claims.get(self._role_claim))
        if role is None:
            raise UnauthenticatedError(
                f"the token grants no cardgraph role (claim {self._role_claim!r})"
            )
        subject = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
        return Principal(
            key_id=f"oidc:{claims['sub']}",
            name=subject,
            role=role,
            acting_as=f"oidc:{subject}",
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )


def _role(claim: Any) -> Role | None:
    values = claim if isinstance(claim, list) else [claim]
    roles = [
        Role[v.upper()] for v in values if isinstance(v, str) and v.upper() in Role.__members__
    ]
    return max(roles) if roles else None
