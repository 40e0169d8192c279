"""Per-request GraphQL context: the services and the authenticated principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from cardgraph.cards.models import Card, CardVersion, VersionKey
from cardgraph.errors import UnauthenticatedError
from cardgraph.events.hub import EventHub
from cardgraph.graphql.sockets import SocketSession
from cardgraph.principals import Principal
from cardgraph.services import Services


@dataclass
class Context:
    """What every resolver sees; `principal` is set by HTTP auth or WebSocket connection_init."""

    request: Request | WebSocket
    services: Services
    request_id: str
    hub: EventHub | None = None
    principal: Principal | None = None
    socket: SocketSession | None = None  # the WebSocket session, for operations sent over one
    connection_params: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def latest_versions(self) -> DataLoader[Card, CardVersion]:
        """Batches the latest-version reads of one request (a list of cards: one query)."""
        return DataLoader(
            load_fn=self.services.cards.latest_versions,
            cache_key_fn=lambda card: (card.id, card.latest_version, card.revision),
        )

    @cached_property
    def versions_by_key(self) -> DataLoader[VersionKey, CardVersion | None]:
        """Batches the version reads of one request by (card id, name, number): a page of
        versions asking for their diffs reads the versions before them in one query."""
        return DataLoader(load_fn=self.services.cards.reads.versions_by_key)

    @property
    def actor(self) -> Principal:
        """The authenticated principal, or UNAUTHENTICATED."""
        if self.principal is None:
            raise UnauthenticatedError("not authenticated")
        return self.principal


Info = strawberry.Info[Context, None]
