"""The event hub a subscription listens to, once it is ready."""

from __future__ import annotations

import asyncio

from cardgraph.errors import UnavailableError
from cardgraph.events.hub import EventHub
from cardgraph.graphql.context import Info

HUB_READY_TIMEOUT_S = 5.0


async def ready_hub(info: Info) -> EventHub:
    """The event hub once it is linked to Redis, or UNAVAILABLE."""
    hub = info.context.hub
    if hub is None:
        raise UnavailableError("live events need Redis, which is not configured")
    try:
        await asyncio.wait_for(hub.wait_ready(), HUB_READY_TIMEOUT_S)
    except TimeoutError:
        raise UnavailableError("live events are unavailable: Redis cannot be reached") from None
    return hub
