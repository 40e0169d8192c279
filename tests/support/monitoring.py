"""Services wired as in the API, on a MongoDB client that logs every command it sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import monitoring

from cardgraph.events.hub import EventHub
from cardgraph.events.redis_connection import create_redis
from cardgraph.services import Services, build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client


class CommandLog(monitoring.CommandListener):
    """Every command the client sends, as (command, collection)."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []
        self.documents: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Record one round trip."""
        target = event.command.get(event.command_name)
        if event.command_name == "bulkWrite":
            target = _bulk_operations(event.command)
        self.commands.append((event.command_name, target if isinstance(target, str) else ""))
        self.documents.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing to record."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing to record."""


def _bulk_operations(command: Any) -> str:
    """A bulkWrite's operations in order, as "insert card_versions, update cards, ..."."""
    namespaces = [info["ns"].split(".", 1)[1] for info in command["nsInfo"]]
    described = []
    for operation in command["ops"]:
        kind = next(k for k in ("insert", "update", "delete") if k in operation)
        described.append(f"{kind} {namespaces[operation[kind]]}")
    return ", ".join(described)


@asynccontextmanager
async def services_with_log(settings: Settings) -> AsyncIterator[tuple[Services, CommandLog]]:
    """Services as the API wires them, on a client that logs commands, with a live hub."""
    log = CommandLog()
    # The clients the API makes, so a stuck call fails instead of hanging; within a minute
    # rather than the API's 5 s, so that seeding on a busy 2-core machine does not.
    patient = settings.model_copy(update={"mongodb_operation_timeout_ms": 60_000})
    mongo = create_async_client(patient, event_listeners=[log])
    redis = create_redis(settings)
    services = build_services(settings, mongo, redis)
    hub = EventHub(redis, services.freshness, settings.redis_timeout_s)
    await hub.start()
    async with asyncio.timeout(30):  # the hub's link, confirmed by Redis
        await hub.wait_ready()
    try:
        yield services, log
    finally:
        await hub.stop()
        await redis.aclose()
        await mongo.close()
