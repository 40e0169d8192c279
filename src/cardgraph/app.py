"""The ASGI application: /graphql, /artifacts, /healthz, /readyz; clients opened in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from cardgraph.access.models import Principal
from cardgraph.access.service import parse_bearer
from cardgraph.body_limit import BodySizeLimit
from cardgraph.errors import CardgraphError, NotFoundError
from cardgraph.events.hub import EventHub
from cardgraph.graphql.schema import build_schema
from cardgraph.graphql.view import CardgraphGraphQL, error_response
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
            runtime.redis = aioredis.from_url(settings.redis_url)
        runtime.services = build_services(settings, runtime.mongo, runtime.redis)
        if runtime.redis is not None:
            runtime.hub = EventHub(runtime.redis, runtime.services.freshness)
            await runtime.hub.start()
        try:
            await ensure_indexes(runtime.mongo[settings.mongodb_database])
        except Exception:  # the service starts anyway; /readyz reports the database
            logger.exception("could not ensure indexes at start-up")
        # Everything built so far (schema, services, modules) lives as long as the process:
        # keeping it out of the collector's reach keeps full collections short, and with
        # them the tail latency of every request.
        gc.freeze()
        try:
            yield
        finally:
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
            await authenticate(services, request)
            found = await services.artifacts.repository.get(request.path_params["artifact_id"])
            if found is None or not await services.artifacts.store.exists(found.id):
                raise NotFoundError("no such artifact")
        except CardgraphError as error:
            return error_response(error)
        path = services.artifacts.store.local_path(found.id)
        if path is None:  # stored in S3: hand out a short-lived presigned URL
            url = services.artifacts.store.download_url(found, settings.base_url)
            return RedirectResponse(url, status_code=307)
        return FileResponse(
            path,
            media_type=found.content_type,
            filename=found.filename,
            headers={"X-Content-SHA256": found.sha256},
        )

    graphql_app = CardgraphGraphQL(
        build_schema(settings),
        runtime.require_services,
        runtime.event_hub,
        graphql_ide=settings.graphql_ide,
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/artifacts/{artifact_id}", artifact, methods=["GET"]),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
        middleware=[
            Middleware(
                BodySizeLimit,
                max_bytes=settings.graphql_max_body_bytes,
                upload_max_bytes=settings.metrics_max_bytes + 1024 * 1024,
            )
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


async def authenticate(services: Services, request: Request) -> Principal:
    """The principal of a bearer key, as for /graphql (any role may read)."""
    token = parse_bearer(request.headers.get("authorization"))
    return await services.authenticator.authenticate(token)


async def _check_mongo(runtime: Runtime) -> str:
    if runtime.mongo is None:
        return "not started"
    try:
        await asyncio.wait_for(runtime.mongo.admin.command("ping"), READY_TIMEOUT_S)
    except Exception as error:  # any failure means not ready; say which
        return f"unreachable: {type(error).__name__}"
    return "ok"


async def _check_redis(runtime: Runtime) -> str:
    if runtime.redis is None:
        return "not configured"
    try:
        await asyncio.wait_for(runtime.redis.ping(), READY_TIMEOUT_S)
    except Exception as error:  # any failure means not ready; say which
        return f"unreachable: {type(error).__name__}"
    return "ok"
