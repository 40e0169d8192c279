"""GraphQL types of API keys."""

from __future__ import annotations

from datetime import datetime

import strawberry

from cardgraph.access import models
from cardgraph.principals import Role

strawberry.enum(
    Role,
    description="Roles, each including the ones before: READER (queries, subscriptions, "
    "downloads) < EDITOR (create and change cards, start jobs) < APPROVER (approve) < ADMIN "
    "(delete cards, manage keys).",
)


@strawberry.type(name="ApiKey", description="An API key (its secret is never shown again).")
class ApiKeyType:
    """A stored API key."""

    id: strawberry.ID = strawberry.field(description="Key id (part of the key itself).")
    name: str = strawberry.field(description="Human name of the key.")
    role: Role = strawberry.field(description="Role granted by the key.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    created_by: str = strawberry.field(description="Who created the key.")
    revoked_at: datetime | None = strawberry.field(
        description="When the key was revoked; null while it is valid."
    )

    @classmethod
    def from_domain(cls, key: models.ApiKey) -> ApiKeyType:
        return cls(
            id=strawberry.ID(key.id),
            name=key.name,
            role=key.role,
            created_at=key.created_at,
            created_by=key.created_by,
            revoked_at=key.revoked_at,
        )


@strawberry.type(description="A newly created API key and its secret, shown only this once.")
class CreatedApiKey:
    """Result of createApiKey."""

    api_key: ApiKeyType = strawberry.field(description="The stored key.")
    secret: str = strawberry.field(
        description="The full key to send as `Authorization: Bearer <secret>`; not stored."
    )


@strawberry.type(description="Who is making this request.")
class Viewer:
    """The authenticated caller."""

    name: str = strawberry.field(description="API key name, or the token's user.")
    role: Role = strawberry.field(description="Role of the caller.")
    via: str = strawberry.field(description="API_KEY or OIDC.")
    key_id: strawberry.ID | None = strawberry.field(description="API key id (API keys only).")
