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

    key: strawberry.Private[models.ApiKey]

    @strawberry.field(description="Key id (part of the key itself).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.key.id)

    @strawberry.field(description="Human name of the key.")
    def name(self) -> str:
        return self.key.name

    @strawberry.field(description="Role granted by the key.")
    def role(self) -> Role:
        return self.key.role

    @strawberry.field(description="When the key was created.")
    def created_at(self) -> datetime:
        return self.key.created_at

    @strawberry.field(description="Who created the key.")
    def created_by(self) -> str:
        return self.key.created_by

    @strawberry.field(description="When the key was revoked; null while it is valid.")
    def revoked_at(self) -> datetime | None:
        return self.key.revoked_at


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
