"""Per-key rate limit of GraphQL operations, shared by every API process through Redis.

A generic cell rate algorithm (GCRA): Redis keeps, per key, the time at which the key's
allowance is next theoretically empty; one script call reads and advances it atomically, on
Redis's own clock, so every API process counts against the same allowance in one round trip.
When Redis cannot answer, operations go through (availability over limits) and a warning is
logged, at most once per `PAUSE_AFTER_FAILURE_S`, during which Redis is not asked again.
"""

from __future__ import annotations

import logging
import math
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cardgraph.errors import RateLimitedError
from cardgraph.principals import Principal

logger = logging.getLogger("cardgraph.access")

KEY_PREFIX = "cardgraph:rate:"
PAUSE_AFTER_FAILURE_S = 5.0

# KEYS[1]: the key's state; ARGV[1]: milliseconds between operations at the steady rate;
# ARGV[2]: the burst. Returns 0 when the operation may run, else milliseconds to wait.
_GCRA = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - burst * interval
if now < allowed_at then return math.ceil(allowed_at - now) end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now) + 1000)
return 0
"""


class RateLimiter:
    """Admits or refuses one operation of a principal against its per-minute allowance."""

    def __init__(self, redis: aioredis.Redis | None, per_minute: int, burst: int) -> None:
        self._enabled = redis is not None and per_minute > 0
        self._per_minute = per_minute
        self._interval_ms = 60_000 / per_minute if per_minute > 0 else 0.0
        self._burst = burst or per_minute
        self._script = redis.register_script(_GCRA) if redis is not None else None
        self._paused_until = 0.0

    @property
    def enabled(self) -> bool:
        """Whether operations are counted at all (a rate is set and Redis is configured)."""
        return self._enabled

    async def check(self, principal: Principal) -> None:
        """Count one operation of `principal`; RATE_LIMITED (with Retry-After) past its rate."""
        if not self._enabled or self._script is None:
            return
        if time.monotonic() < self._paused_until:
            return
        try:
            wait_ms = await self._script(
                keys=[KEY_PREFIX + principal.key_id], args=[self._interval_ms, self._burst]
            )
        except (RedisError, OSError) as error:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            logger.warning(
                "rate limit not applied for %.0f s: Redis did not answer (%s)",
                PAUSE_AFTER_FAILURE_S,
                type(error).__name__,
            )
            return
        if int(wait_ms) > 0:
            retry_after = max(1, math.ceil(int(wait_ms) / 1000))
            raise RateLimitedError(
                f"rate limit of {self._per_minute} operations a minute reached; "
                f"retry in {retry_after} s",
                retry_after,
            )
