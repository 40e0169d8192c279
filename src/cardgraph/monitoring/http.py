"""The request middleware: every HTTP request and GraphQL operation counted and timed."""

from __future__ import annotations

import time

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cardgraph.audit import context as audit_context
from cardgraph.monitoring.api import ApiMetrics, OperationOutcome
from cardgraph.monitoring.labels import UNKNOWN, method_label, outcome_of_status

METRICS_KEY = "cardgraph.metrics"  # the scope key the GraphQL extension finds the metrics at
OUTCOME_KEY = "cardgraph.operation"  # where it leaves an HTTP operation's labels
GRAPHQL_PATH = "/graphql"
UNMATCHED = "unmatched"  # a path no route serves (404): never the raw path


class RequestMetrics:
    """Counts and times every HTTP request by route template, method and status, and each
    GraphQL request by operation and outcome; hands the metrics to WebSocket operations."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, then record what it was and how long it took."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[METRICS_KEY] = self.metrics
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        if given:  # the proxy's id (the view takes the same): log lines of refusals carry it too
            audit_context.request_id.set(given[:64])
        started = time.perf_counter()
        status = 500  # an application that raised before answering

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        route = _route_template(scope)
        method = method_label(scope.get("method", ""))
        self.metrics.http_requests.labels(route, method, str(status)).inc()
        self.metrics.http_duration.labels(route, method).observe(duration_s)
        if route != GRAPHQL_PATH:
            return
        outcome = scope.get(OUTCOME_KEY)
        if not isinstance(outcome, OperationOutcome):
            if status < 400:
                return  # the IDE's page: nothing was asked to execute
            # Refused before execution (credentials, rate, body, method): nothing was parsed.
            outcome = OperationOutcome(UNKNOWN, UNKNOWN, outcome_of_status(status))
        self.metrics.observe_operation(outcome, "http", duration_s)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, raw in scope.get("headers", ()):
        if key == name:
            return str(raw.decode("latin-1"))
    return None


def _route_template(scope: Scope) -> str:
    """The template of the route serving the request (`/artifacts/{artifact_id}`)."""
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        if isinstance(route, Route) and route.matches(scope)[0] is not Match.NONE:
            return route.path
    return UNMATCHED
