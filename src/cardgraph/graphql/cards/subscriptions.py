"""The live subscription to card events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from cardgraph.events.channels import CARDS
from cardgraph.events.models import CardEvent, FeedGap
from cardgraph.graphql.cards.event_types import CardEventType
from cardgraph.graphql.context import Info
from cardgraph.graphql.live_events import ready_hub


@strawberry.type
class CardEventSubscription:
    """Card events over graphql-transport-ws."""

    @strawberry.subscription(
        description="Card events (version created, status changed, export ready) for one "
        "card, or for all cards when `name` is omitted. Events lost in transit (the event "
        "server restarted, or this subscriber fell far behind) are announced by a RESYNC "
        "event whose `gap` says since when: read afresh what you show, then keep listening."
    )
    async def card_events(
        self, info: Info, name: str | None = None
    ) -> AsyncGenerator[CardEventType, None]:
        hub = await ready_hub(info)
        async with hub.subscribe(CARDS) as queue:
            while True:
                item = await queue.get()
                if isinstance(item, FeedGap):
                    yield CardEventType.resync(item, name)
                    continue
                event = CardEvent.from_json(item)
                if name is None or event.card_name == name:
                    yield CardEventType.from_domain(event)
