"""The ASGI application: /graphql, /artifacts, /healthz, /readyz, /metrics; clients opened in
the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from prometheus_client import CONTENT_TYPE_LATEST
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from cardgraph.access.service import parse_bearer
from cardgraph.body_limit import BodySizeLimit
from cardgraph.errors import (
    CardgraphError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)
from cardgraph.events.hub import EventHub
from cardgraph.events.redis_connection import create_redis
from cardgraph.front_door import front_routes
from cardgraph.graphql.errors import UNAVAILABLE_ERRORS, UNAVAILABLE_MESSAGE
from cardgraph.graphql.schema import build_schema
from cardgraph.graphql.sockets import SocketRegistry
from cardgraph.graphql.view import CardgraphGraphQL, error_response
from cardgraph.monitoring.access import METRICS_REFUSED, metrics_token_accepted
from cardgraph.monitoring.api import ApiMetrics
from cardgraph.monitoring.http import RequestMetrics
from cardgraph.principals import Principal
from cardgraph.services import Services, build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import Document, create_async_client, ensure_indexes

logger = logging.getLogger("cardgraph")

READY_TIMEOUT_S = 2.0


@dataclass
class Runtime:
    """Per-process clients and services, opened in the lifespan."""

    settings: Settings
    mongo: AsyncMongoClient[Document] | None = None
    redis: aioredis.Redis | None = None
    services: Services | None = None
    hub: EventHub | None = None
    sockets: SocketRegistry = field(init=False)
    metrics: ApiMetrics = field(default_factory=ApiMetrics)

    def __post_init__(self) -> None:
        self.sockets = SocketRegistry(
            self.settings.ws_max_connections_per_key, self.settings.ws_recheck_interval_s
        )

    def require_services(self) -> Services:
        """The services; only available while the app is running."""
        if self.services is None:
            raise RuntimeError("the application has not started")
        return self.services

    def event_hub(self) -> EventHub | None:
        """The event hub, when Redis is configured."""
        return self.hub


def create_app(settings: Settings) -> Starlette:
    """Create the Starlette application for `settings`."""
    runtime = Runtime(settings=settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.mongo = create_async_client(settings)
        if settings.redis_url:
            runtime.redis = create_redis(settings)
        runtime.services = build_services(settings, runtime.mongo, runtime.redis)
        if runtime.redis is not None:
            runtime.hub = EventHub(
                runtime.redis, runtime.services.freshness, settings.redis_timeout_s
            )
            await runtime.hub.start()
        sockets = asyncio.create_task(
            runtime.sockets.run(runtime.hub), name="cardgraph-socket-registry"
        )
        try:
            await ensure_indexes(runtime.mongo[settings.mongodb_database])
        except Exception:  # the service starts anyway; /readyz reports the database
            logger.exception("could not ensure indexes at start-up")
        # Data from before the ledger scheme (an upgrade) is migrated once, by one replica,
        # while the API serves.
        migration = asyncio.create_task(
            _migrate_ledger(runtime.services), name="cardgraph-ledger-migration"
        )
        try:  # the first replica to start creates the deployment's cursor secret
            await runtime.services.cursors.codec()
        except Exception:  # loaded on first use instead (UNAVAILABLE while the database is)
            logger.exception("could not load the cursor secret at start-up")
        # Everything built so far (schema, services, modules) lives as long as the process:
        # keeping it out of the collector's reach keeps full collections short, and with
        # them the tail latency of every request.
        gc.freeze()
        try:
            yield
        finally:
            for task in (migration, sockets):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if runtime.hub is not None:
                await runtime.hub.stop()
            if runtime.services.queue is not None:
                runtime.services.queue.close()
            if runtime.redis is not None:
                await runtime.redis.aclose()
            await runtime.mongo.close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        checks = {"mongodb": await _check_mongo(runtime), "redis": await _check_redis(runtime)}
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    async def artifact(request: Request) -> Response:
        try:
            services = runtime.require_services()
            principal = await authenticate(services, request)
            found = await services.artifacts.readable(request.path_params["artifact_id"], principal)
            if found is None:
                raise NotFoundError("no such artifact")
        except CardgraphError as error:
            return error_response(error)
        except UNAVAILABLE_ERRORS:
            return error_response(UnavailableError(UNAVAILABLE_MESSAGE))
        path = services.artifacts.local_path(found)
        if path is None:  # stored in S3: hand out a short-lived presigned URL
            try:
                url = services.artifacts.download_url(found)
            except CardgraphError as error:  # no AWS credentials to sign it with
                return error_response(error)
            return RedirectResponse(url, status_code=307)
        return FileResponse(
            path,
            media_type=found.content_type,
            filename=found.filename,
            headers={"X-Content-SHA256": found.sha256},
        )

    async def metrics(request: Request) -> Response:
        # Prometheus scrapes each replica directly with the metrics token (the proxy refuses
        # /metrics: through it, a scrape would reach one replica at random).
        if not metrics_token_accepted(request.headers.get("authorization"), settings.metrics_token):
            return error_response(UnauthenticatedError(METRICS_REFUSED))
        database = runtime.mongo[settings.mongodb_database] if runtime.mongo is not None else None
        body = await runtime.metrics.render(database, runtime.redis, runtime.sockets.total)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    graphql_app = CardgraphGraphQL(
        build_schema(settings),
        runtime.require_services,
        runtime.event_hub,
        runtime.sockets,
        settings,
    )
    app = Starlette(
        routes=[
            *front_routes(settings),  # GET / and the IDE's files
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/artifacts/{artifact_id}", artifact, methods=["GET"]),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
        middleware=[
            Middleware(RequestMetrics, metrics=runtime.metrics),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.graphql_max_body_bytes,
                upload_max_bytes=settings.metrics_max_bytes + 1024 * 1024,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


async def authenticate(services: Services, request: Request) -> Principal:
    """The principal of a bearer key, as for /graphql (any role may read)."""
    token = parse_bearer(request.headers.get("authorization"))
    return await services.authenticator.authenticate(token)


async def _migrate_ledger(services: Services) -> None:
    """Run the ledger migration if this replica gets its lock; log what it did."""
    try:
        done = await services.ledger_migration.run_exclusively()
    except Exception:  # `cardgraph migrate-ledger` does it by hand; the API serves anyway
        logger.exception("the ledger migration failed; run `cardgraph migrate-ledger`")
        return
    for card in done or []:
        logger.info(
            "ledger migration of %s: %s",
            card.card_name,
            card.refused or f"{card.versions} version(s) migrated",
        )


async def _check_mongo(runtime: Runtime) -> str:
    if runtime.mongo is None:
        return "not started"
    try:
        await asyncio.wait_for(runtime.mongo.admin.command("ping"), READY_TIMEOUT_S)
    except Exception:  # any failure means not ready; what failed is for the log only
        logger.warning("readiness check failed", exc_info=True)
        return "unreachable"
    return "ok"


async def _check_redis(runtime: Runtime) -> str:
    if runtime.redis is None:
        return "not configured"
    try:
        await asyncio.wait_for(runtime.redis.ping(), READY_TIMEOUT_S)
    except Exception:  # any failure means not ready; what failed is for the log only
        logger.warning("readiness check failed", exc_info=True)
        return "unreachable"
    return "ok"
