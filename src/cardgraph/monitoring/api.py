"""The metrics of one API process: requests, GraphQL operations, sockets, queues and jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pymongo.asynchronous.database import AsyncDatabase

from cardgraph.jobs.models import ACTIVE_STATES, JobKind
from cardgraph.jobs.names import QUEUES
from cardgraph.monitoring import jobs
from cardgraph.monitoring.labels import OperationNames, queue_keys
from cardgraph.storage.mongo import JOBS, Document

logger = logging.getLogger("cardgraph.monitoring")

# Seconds; a GraphQL request of this service takes milliseconds, a large write up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# What a scrape may wait for MongoDB or Redis before that source is reported down.
SOURCE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    """What became of one GraphQL operation: its labels, as the extension saw them."""

    operation: str
    type: str
    outcome: str


class ApiMetrics:
    """Metrics of one application object, in a registry of its own (tests run several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.operation_names = OperationNames()
        self.http_requests = Counter(
            "cardgraph_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "cardgraph_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.operations = Counter(
            "cardgraph_graphql_operations",
            "GraphQL operations, by operation name (or anonymous / unknown / other), type, "
            "outcome (ok or the first error's code) and transport (http, ws).",
            ["operation", "type", "outcome", "transport"],
            registry=self.registry,
        )
        self.operation_duration = Histogram(
            "cardgraph_graphql_operation_duration_seconds",
            "Latency of GraphQL queries and mutations (HTTP: the whole request), by operation "
            "name, type and outcome.",
            ["operation", "type", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.subscriptions = Gauge(
            "cardgraph_graphql_subscriptions_active",
            "Subscriptions running in this process (WebSocket operations).",
            registry=self.registry,
        )
        self.sockets = Gauge(
            "cardgraph_websocket_connections",
            "Authenticated WebSockets open on this process.",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "cardgraph_queue_depth",
            "Tasks waiting in a Celery queue (Redis list lengths, every priority).",
            ["queue"],
            registry=self.registry,
        )
        self.queue_unacked = Gauge(
            "cardgraph_queue_unacked",
            "Tasks delivered to workers and not yet acknowledged (running or prefetched).",
            registry=self.registry,
        )
        self.jobs_active = Gauge(
            "cardgraph_jobs_active",
            "Stored jobs not yet finished, by kind and state (counted in MongoDB at scrape).",
            ["kind", "state"],
            registry=self.registry,
        )
        self.source_up = Gauge(
            "cardgraph_scrape_source_up",
            "Whether the last scrape could read a source (mongodb, redis): 1 or 0.",
            ["source"],
            registry=self.registry,
        )

    def observe_operation(
        self, outcome: OperationOutcome, transport: str, duration_s: float | None
    ) -> None:
        """Count one operation; queries and mutations also record their latency."""
        self.operations.labels(outcome.operation, outcome.type, outcome.outcome, transport).inc()
        if duration_s is not None and outcome.type in ("query", "mutation", "unknown"):
            self.operation_duration.labels(
                outcome.operation, outcome.type, outcome.outcome
            ).observe(duration_s)

    async def render(
        self,
        database: AsyncDatabase[Document] | None,
        redis: aioredis.Redis | None,
        open_sockets: Callable[[], int],
    ) -> bytes:
        """The exposition text: scrape-time figures read first, then every metric."""
        self.sockets.set(open_sockets())
        await asyncio.gather(self._read_queues(redis), self._read_jobs(database))
        return generate_latest(self.registry) + generate_latest(jobs.REGISTRY)

    async def _read_queues(self, redis: aioredis.Redis | None) -> None:
        if redis is None:
            return
        try:
            async with redis.pipeline(transaction=False) as pipeline:
                for queue in QUEUES:
                    for key in queue_keys(queue):
                        pipeline.llen(key)
                pipeline.hlen("unacked")  # kombu's hash of delivered, unacknowledged messages
                lengths = await asyncio.wait_for(pipeline.execute(), SOURCE_TIMEOUT_S)
        except Exception:  # a scrape reports the source down rather than failing
            logger.warning("could not read the queue lengths", exc_info=True)
            self.source_up.labels("redis").set(0)
            return
        per_queue = len(queue_keys(QUEUES[0]))
        for index, queue in enumerate(QUEUES):
            self.queue_depth.labels(queue).set(
                sum(lengths[index * per_queue : (index + 1) * per_queue])
            )
        self.queue_unacked.set(lengths[-1])
        self.source_up.labels("redis").set(1)

    async def _read_jobs(self, database: AsyncDatabase[Document] | None) -> None:
        if database is None:
            return
        pipeline: list[Document] = [
            {"$match": {"state": {"$in": [s.value for s in ACTIVE_STATES]}}},
            {"$group": {"_id": {"kind": "$kind", "state": "$state"}, "count": {"$sum": 1}}},
        ]
        try:
            cursor = await database[JOBS].aggregate(pipeline)
            groups = await asyncio.wait_for(cursor.to_list(), SOURCE_TIMEOUT_S)
        except Exception:  # a scrape reports the source down rather than failing
            logger.warning("could not count the active jobs", exc_info=True)
            self.source_up.labels("mongodb").set(0)
            return
        counts = {(g["_id"]["kind"], g["_id"]["state"]): g["count"] for g in groups}
        for kind in JobKind:
            for state in ACTIVE_STATES:
                self.jobs_active.labels(kind.value, state.value).set(
                    counts.get((kind.value, state.value), 0)
                )
        self.source_up.labels("mongodb").set(1)
