"""Per-request GraphQL context: the services and the authenticated principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from cardgraph.access.models import Principal
from cardgraph.access.service import ApiKeyService
from cardgraph.cards.service import CardService
from cardgraph.errors import UnauthenticatedError
from cardgraph.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """Everything resolvers may call, built once per process in the app's lifespan."""

    settings: Settings
    cards: CardService
    api_keys: ApiKeyService


@dataclass
class Context:
    """What every resolver sees; `principal` is set by HTTP auth or WebSocket connection_init."""

    request: Request | WebSocket
    services: Services
    request_id: str
    principal: Principal | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Principal:
        """The authenticated principal, or UNAUTHENTICATED."""
        if self.principal is None:
            raise UnauthenticatedError("not authenticated")
        return self.principal


Info = strawberry.Info[Context, None]
