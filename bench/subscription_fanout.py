"""500 concurrent jobProgress subscribers on one API process: delivery delay and API memory."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import Row, api_process, report, rss_mib, stack, summary
from cardgraph.cli import issue_api_key
from cardgraph.clock import utc_now_ms
from cardgraph.events.publisher import EventPublisher
from cardgraph.jobs.codec import job_to_json
from cardgraph.jobs.models import JobKind
from cardgraph.jobs.repository import JobRepository
from cardgraph.principals import Principal, Role
from cardgraph.services import build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client

SUBSCRIBERS = 500
UPDATES = 10
QUERY = "subscription($id: ID!) { jobProgress(id: $id) { state progress message } }"


async def _subscriber(
    url: str, key: str, job_id: str, ready: asyncio.Event, delays: list[float]
) -> None:
    async with connect(
        url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=64
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
        )
        await socket.recv()
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": QUERY, "variables": {"id": job_id}},
                }
            )
        )
        await socket.recv()  # the stored state
        ready.set()
        async for raw in socket:
            received = time.time()
            message = json.loads(raw)
            if message["type"] == "complete":
                return
            if message["type"] == "next":
                progress = message["payload"]["data"]["jobProgress"]
                if progress["state"] == "RUNNING" and progress["message"].startswith("sent "):
                    delays.append((received - float(progress["message"][5:])) * 1000)


async def _run(settings: Settings, api_pid: int) -> list[Row]:
    _, key = await issue_api_key(settings, "bench", Role.ADMIN, "bench")
    mongo = create_async_client(settings)
    services = build_services(settings, mongo, None)
    actor = Principal(key_id="bench", name="bench", role=Role.ADMIN)
    job = await services.jobs.start(JobKind.EXPORT_CARD_PDF, {"name": "x"}, actor)
    url = settings.base_url.replace("http://", "ws://") + "/graphql"
    idle_rss = rss_mib(api_pid)
    delays: list[float] = []
    readies = [asyncio.Event() for _ in range(SUBSCRIBERS)]
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(_subscriber(url, key, job.id, readies[i], delays))
        for i in range(SUBSCRIBERS)
    ]
    await asyncio.gather(*(r.wait() for r in readies))
    connect_s = time.perf_counter() - started
    loaded_rss = rss_mib(api_pid)
    redis = aioredis.from_url(settings.redis_url or "")
    events = EventPublisher(redis)
    repository = JobRepository(mongo[settings.mongodb_database])
    claimed = await repository.claim(job.id, utc_now_ms())
    assert claimed is not None
    for step in range(UPDATES):
        await asyncio.sleep(0.3)
        # What a worker does: store the progress, then publish the new state.
        updated = await repository.report(
            job.id, (step + 1) / (UPDATES + 1), f"sent {time.time()}", utc_now_ms()
        )
        assert updated is not None
        await events.job_changed(updated.id, job_to_json(updated))
    finished = await repository.finish(job.id, claimed.state.SUCCEEDED, utc_now_ms(), result={})
    assert finished is not None
    await events.job_changed(finished.id, job_to_json(finished))
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    await redis.aclose()
    await mongo.close()
    stats = summary(delays)
    return [
        Row(
            f"subscriptions: updates delivered to {SUBSCRIBERS} jobProgress subscribers",
            f"{len(delays)} of {SUBSCRIBERS * UPDATES}",
        ),
        Row(f"subscriptions: {SUBSCRIBERS} subscribed in", f"{connect_s:.1f} s"),
        Row(
            "subscriptions: delay worker update → client, p50 / p99",
            f"{stats['p50']:.1f} / {stats['p99']:.1f} ms",
        ),
        Row(
            "subscriptions: API RSS idle → with subscribers",
            f"{idle_rss:.0f} → {loaded_rss:.0f} MiB "
            f"({(loaded_rss - idle_rss) * 1024 / SUBSCRIBERS:.0f} KiB each)",
        ),
    ]


def main() -> None:
    """Measure and print."""
    with stack() as running, api_process(running.settings) as api:
        rows = asyncio.run(_run(running.settings, api.pid))
    report("subscription_fanout", rows)


if __name__ == "__main__":
    main()
