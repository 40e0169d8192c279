"""API key queries and mutations (admins only)."""

from __future__ import annotations

import strawberry

from cardgraph.graphql.access.types import ApiKeyType, CreatedApiKey, Viewer
from cardgraph.graphql.context import Info
from cardgraph.principals import Role


@strawberry.type
class AccessQuery:
    """API key queries."""

    @strawberry.field(description="Every API key, without secrets. Needs admin.")
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        keys = await info.context.services.api_keys.list_keys(info.context.actor)
        return [ApiKeyType.from_domain(k) for k in keys]

    @strawberry.field(description="Who is making this request: an API key or an OIDC user.")
    def viewer(self, info: Info) -> Viewer:
        actor = info.context.actor
        oidc = actor.key_id.startswith("oidc:")
        return Viewer(
            name=actor.name,
            role=actor.role,
            via="OIDC" if oidc else "API_KEY",
            key_id=None if oidc else strawberry.ID(actor.key_id),
        )


@strawberry.type
class AccessMutation:
    """API key mutations."""

    @strawberry.mutation(description="Create an API key; its secret is returned once. Admin.")
    async def create_api_key(
        self,
        info: Info,
        name: str,
        role: Role,
    ) -> CreatedApiKey:
        key, secret = await info.context.services.api_keys.create_key(
            name, role, info.context.actor
        )
        return CreatedApiKey(api_key=ApiKeyType.from_domain(key), secret=secret)

    @strawberry.mutation(description="Revoke an API key; it stops working at once. Admin.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyType:
        key = await info.context.services.api_keys.revoke_key(str(id), info.context.actor)
        return ApiKeyType.from_domain(key)
