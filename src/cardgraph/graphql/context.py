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
        # No cache (the card service has a bounded one): a WebSocket connection keeps its
        # context for every operation it sends, and a loader's cache never forgets.
        return DataLoader(load_fn=self.services.cards.latest_versions, cache=False)

    @cached_property
    def versions_by_key(self) -> DataLoader[VersionKey, CardVersion | None]:
        """Batches version reads by (card id, name, number): the predecessors that sibling
        fields ask for at once (the latest versions of a listed page) come in one query."""
        return DataLoader(load_fn=self.services.cards.reads.versions_by_key, cache=False)

    @property
    def actor(self) -> Principal:
        """The authenticated principal, or UNAUTHENTICATED."""
        if self.principal is None:
            raise UnauthenticatedError("not authenticated")
        return self.principal


Info = strawberry.Info[Context, None]
