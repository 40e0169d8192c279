"""A pub/sub link that notices a silent server (frozen, partitioned) instead of waiting forever.

redis-py reads pub/sub messages without a socket timeout, as it must (a quiet channel is not an
error), so a server that stops answering without closing the connection is never noticed: the
subscriber would wait, and trust its caches, for as long as the outage lasts. Here a quiet link
is probed with a PING, and one that does not answer is given up, so the caller reconnects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError

from cardgraph.events.cancellation import raise_if_cancel_requested


async def confirmed_psubscribe(pubsub: PubSub, pattern: str, timeout_s: float) -> None:
    """Subscribe to `pattern` and wait for the server to confirm it (not just for the send)."""
    await pubsub.psubscribe(pattern)
    reply = await pubsub.get_message(timeout=timeout_s)
    raise_if_cancel_requested()
    if reply is None or reply.get("type") != "psubscribe":
        raise RedisConnectionError(f"Redis did not confirm the subscription in {timeout_s}s")


async def probed_messages(pubsub: PubSub, silence_s: float) -> AsyncIterator[dict[str, Any]]:
    """The messages of a subscribed `pubsub`, until the server falls silent.

    After `silence_s` without a message the link is probed with a PING; if nothing at all comes
    back within another `silence_s`, `redis.exceptions.ConnectionError` is raised.
    """
    probing = False
    while True:
        message: dict[str, Any] | None = await pubsub.get_message(timeout=silence_s)
        # A cancellation arriving as the wait expires comes back as "no message".
        raise_if_cancel_requested()
        if message is not None:
            probing = False
            if message.get("type") != "pong":
                yield message
            continue
        if probing:
            raise RedisConnectionError(f"Redis did not answer a ping in {silence_s}s")
        await pubsub.ping()
        probing = True
