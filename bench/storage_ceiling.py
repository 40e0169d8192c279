"""The storage ceiling: raw PyMongo against the same database server cardgraph uses, and the
server's operation counters (for round trips per request)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

from cardgraph.settings import Settings

DOCUMENTS = 2000
PAYLOAD = "x" * 10_000
CONCURRENCY = 8


def operation_counts(settings: Settings) -> dict[str, int]:
    """The server's operation counters so far, and under "requests" how many requests it
    has received (this call counts as one command and one request)."""
    with MongoClient(settings.mongodb_url) as client:
        status = client.admin.command("serverStatus")
    counters: dict[str, int] = dict(status["opcounters"])
    counters["requests"] = status["network"]["numRequests"]
    return counters


def insert_rate(settings: Settings, documents: int = 300) -> float:
    """insert_one of 10 KB documents per second from one client, now."""
    with MongoClient(settings.mongodb_url) as client:
        collection = client["storage_ceiling"]["probe"]
        started = time.perf_counter()
        for _ in range(documents):
            collection.insert_one({"content": PAYLOAD})
        return documents / (time.perf_counter() - started)


def measure(settings: Settings) -> dict[str, float]:
    """find_one and insert_one of 10 KB documents: one client in sequence, and 8 at once."""
    figures: dict[str, float] = {}
    with MongoClient(settings.mongodb_url) as client:
        collection = client["storage_ceiling"]["documents"]
        started = time.perf_counter()
        for i in range(DOCUMENTS):
            collection.insert_one({"_id": i, "content": PAYLOAD})
        figures["insert_one 10 KB, one client"] = DOCUMENTS / (time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(DOCUMENTS):
            collection.find_one({"_id": i})
        figures["find_one by _id, one client"] = DOCUMENTS / (time.perf_counter() - started)
    figures.update(asyncio.run(_concurrent(settings)))
    return figures


async def _concurrent(settings: Settings) -> dict[str, float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
    collection = client["storage_ceiling"]["concurrent"]
    share = DOCUMENTS // CONCURRENCY

    async def insert(worker: int) -> None:
        for i in range(share):
            await collection.insert_one({"_id": f"{worker}-{i}", "content": PAYLOAD})

    async def find(worker: int) -> None:
        for i in range(share):
            await collection.find_one({"_id": f"{worker}-{i}"})

    figures: dict[str, float] = {}
    for label, action in (("insert_one 10 KB", insert), ("find_one by _id", find)):
        started = time.perf_counter()
        await asyncio.gather(*(action(w) for w in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        figures[f"{label}, {CONCURRENCY} concurrent (async)"] = share * CONCURRENCY / elapsed
    await client.close()
    return figures
