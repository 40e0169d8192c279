"""Per-process state of a worker: one event loop, one MongoDB client, one Redis client.

Created lazily in the process that uses it (so after Celery's fork), and run on a private
event loop, so workers call the very same services as the API.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

from cardgraph.events.redis_connection import create_redis
from cardgraph.services import Services, build_services
from cardgraph.settings import get_settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes

T = TypeVar("T")


class WorkerRuntime:
    """Clients and services of one worker process."""

    def __init__(self) -> None:
        self.settings = get_settings()
        self.loop = asyncio.new_event_loop()
        self.mongo = create_async_client(self.settings)
        self.redis = create_redis(self.settings) if self.settings.redis_url else None
        self.services: Services = build_services(self.settings, self.mongo, self.redis)
        self.run(ensure_indexes(self.mongo[self.settings.mongodb_database]))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine to completion on this process's loop."""
        return self.loop.run_until_complete(coroutine)


_runtime: WorkerRuntime | None = None
_runtime_pid: int | None = None


def runtime() -> WorkerRuntime:
    """This process's runtime (a forked child builds its own)."""
    global _runtime, _runtime_pid
    if _runtime is None or _runtime_pid != os.getpid():
        _runtime, _runtime_pid = WorkerRuntime(), os.getpid()
    return _runtime
