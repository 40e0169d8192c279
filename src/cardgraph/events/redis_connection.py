"""The one way cardgraph talks to Redis: bounded timeouts, no retrying into a frozen server."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from cardgraph.settings import Settings


def create_redis(settings: Settings) -> aioredis.Redis:
    """An asyncio client whose every command connects and answers within `redis_timeout_s`.

    The event hub's subscription is exempt: redis-py reads pub/sub messages without the socket
    timeout (`listen()` blocks until a message comes), and the hub probes that link itself.
    """
    if not settings.redis_url:
        raise RuntimeError("CARDGRAPH_REDIS_URL is not set")
    return aioredis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        # One immediate retry covers a pooled connection the server closed (a restart). A
        # timeout is not retried: redis-py's default (ten attempts) would hold a request for
        # ten timeouts when the server is frozen.
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )


def broker_transport_timeouts(settings: Settings) -> dict[str, float]:
    """Celery broker transport options that bound every broker socket operation the same way."""
    return {
        "socket_timeout": settings.redis_timeout_s,
        "socket_connect_timeout": settings.redis_timeout_s,
    }
