"""Issuing, checking and revoking API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cardgraph.access.models import ApiKey
from cardgraph.access.repository import ApiKeyRepository
from cardgraph.audit.service import AuditLog
from cardgraph.caching.freshness import FreshCache, Freshness, Topic
from cardgraph.clock import utc_now_ms
from cardgraph.errors import (
    BadRequestError,
    DataIntegrityError,
    NotFoundError,
    UnauthenticatedError,
)
from cardgraph.events.publisher import EventPublisher
from cardgraph.principals import Principal, Role

KEY_PREFIX = "cg"
MAX_KEY_NAME = 100
CACHED_KEYS = 10_000


def _hash_secret(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_bearer(header: str | None) -> str:
    """Extract the token from an `Authorization: Bearer <token>` header value."""
    if not header:
        raise UnauthenticatedError("missing API key: send `Authorization: Bearer <key>`")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("malformed Authorization header: expected `Bearer <key>`")
    return token.strip()


class ApiKeyService:
    """API key life cycle; `authenticate` turns a presented key into a principal."""

    def __init__(
        self,
        repository: ApiKeyRepository,
        audit: AuditLog,
        events: EventPublisher,
        freshness: Freshness,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._events = events
        # Keys with their secret hashes, served from memory while revocations are heard.
        self._keys: FreshCache[tuple[ApiKey, str]] = FreshCache(
            freshness, Topic.API_KEY, CACHED_KEYS
        )

    async def authenticate(self, token: str) -> Principal:
        """Check a presented key; raise UNAUTHENTICATED if unknown, malformed or revoked."""
        prefix, _, rest = token.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != KEY_PREFIX or not key_id or not secret:
            raise UnauthenticatedError("invalid API key")
        try:
            found = await self._keys.load(key_id, lambda: self._repository.find_with_hash(key_id))
        except DataIntegrityError:  # logged; a key whose role is unknown grants nothing
            raise UnauthenticatedError("invalid API key") from None
        if found is None or not hmac.compare_digest(found[1], _hash_secret(secret)):
            raise UnauthenticatedError("invalid API key")
        key = found[0]
        if key.revoked:
            raise UnauthenticatedError("this API key has been revoked")
        return Principal(key_id=key.id, name=key.name, role=key.role)

    async def create_key(self, name: str, role: Role, actor: Principal) -> tuple[ApiKey, str]:
        """Issue a key (admins only); returns the key and its secret, shown this once."""
        actor.require(Role.ADMIN, "creating API keys")
        return await self._issue(name, role, actor)

    async def issue_key(self, name: str, role: Role, created_by: str) -> tuple[ApiKey, str]:
        """Issue a key without a caller check (bootstrap of the local admin key, tests)."""
        bootstrap = Principal(
            key_id="bootstrap", name=created_by, role=Role.ADMIN, acting_as=created_by
        )
        return await self._issue(name, role, bootstrap)

    async def _issue(self, name: str, role: Role, actor: Principal) -> tuple[ApiKey, str]:
        created_by = actor.actor
        name = name.strip()
        if not name or len(name) > MAX_KEY_NAME:
            raise BadRequestError(f"key name must have 1 to {MAX_KEY_NAME} characters")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        key = ApiKey(
            id=key_id, name=name, role=role, created_at=utc_now_ms(), created_by=created_by
        )
        await self._repository.insert(key, _hash_secret(secret))
        await self._audit.record(
            actor, "createApiKey", details={"keyId": key.id, "name": key.name, "role": role.name}
        )
        return key, f"{KEY_PREFIX}_{key_id}_{secret}"

    async def revoke_key(self, key_id: str, actor: Principal) -> ApiKey:
        """Revoke a key (admins only); it stops working at once."""
        actor.require(Role.ADMIN, "revoking API keys")
        ticket = self._keys.ticket()
        revoked_now = await self._repository.revoke(key_id, utc_now_ms())
        self._keys.put_written(key_id, None, ticket)  # here at once; elsewhere by the event
        await self._events.api_key_revoked(key_id)
        if not revoked_now:
            existing = await self._repository.get(key_id)
            if existing is None:
                raise NotFoundError(f"no API key with id {key_id!r}")
            return existing
        revoked = await self._repository.get(key_id)
        assert revoked is not None
        await self._audit.record(
            actor, "revokeApiKey", details={"keyId": key_id, "name": revoked.name}
        )
        return revoked

    async def list_keys(self, actor: Principal) -> list[ApiKey]:
        """Every key, without secrets (admins only)."""
        actor.require(Role.ADMIN, "listing API keys")
        return await self._repository.list_all()
