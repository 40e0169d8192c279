"""Authentication of a bearer token: a cardgraph API key, or an OIDC token when configured."""

from __future__ import annotations

from cardgraph.access.oidc import OidcVerifier
from cardgraph.access.service import KEY_PREFIX, ApiKeyService
from cardgraph.errors import UnauthenticatedError, UnavailableError
from cardgraph.principals import Principal
from cardgraph.storage.availability import UNAVAILABLE_ERRORS

KEYS_UNAVAILABLE = "the caller cannot be checked: the database is unavailable; try again shortly"


class Authenticator:
    """Chooses the verifier by the token's form: `cg_…` keys, or three-part JWTs."""

    def __init__(self, api_keys: ApiKeyService, oidc: OidcVerifier | None) -> None:
        self._api_keys = api_keys
        self._oidc = oidc

    async def authenticate(self, token: str) -> Principal:
        """The principal a token stands for, or UNAUTHENTICATED (UNAVAILABLE: no database)."""
        try:
            if token.startswith(f"{KEY_PREFIX}_"):
                return await self._api_keys.authenticate(token)
            if self._oidc is not None and token.count(".") == 2:
                return await self._oidc.authenticate(token)
        except UNAVAILABLE_ERRORS:
            # Coded here, so every transport (HTTP, WebSocket, downloads) refuses alike.
            raise UnavailableError(KEYS_UNAVAILABLE) from None
        raise UnauthenticatedError("invalid API key")
