"""API key queries and mutations (admins only)."""

from __future__ import annotations

import strawberry

from cardgraph.graphql.access.types import ApiKeyType, CreatedApiKey, Role
from cardgraph.graphql.context import Info


@strawberry.type
class AccessQuery:
    """API key queries."""

    @strawberry.field(description="Every API key, without secrets. Needs admin.")
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        """All keys."""
        keys = await info.context.services.api_keys.list_keys(info.context.actor)
        return [ApiKeyType(key=k) for k in keys]

    @strawberry.field(description="The API key making this request.")
    async def viewer(self, info: Info) -> ApiKeyType:
        """The calling key."""
        actor = info.context.actor
        key = await info.context.services.api_keys.get_key(actor.key_id)
        return ApiKeyType(key=key)


@strawberry.type
class AccessMutation:
    """API key mutations."""

    @strawberry.mutation(description="Create an API key; its secret is returned once. Admin.")
    async def create_api_key(
        self,
        info: Info,
        name: str,
        role: Role,  # type: ignore[valid-type]
    ) -> CreatedApiKey:
        """Create a key."""
        key, secret = await info.context.services.api_keys.create_key(
            name, role, info.context.actor
        )
        return CreatedApiKey(api_key=ApiKeyType(key=key), secret=secret)

    @strawberry.mutation(description="Revoke an API key; it stops working at once. Admin.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyType:
        """Revoke a key."""
        key = await info.context.services.api_keys.revoke_key(str(id), info.context.actor)
        return ApiKeyType(key=key)
