"""The /graphql endpoint: authentication, JSON errors for malformed requests, WebSocket auth."""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from cardgraph.access.service import parse_bearer
from cardgraph.audit import context as audit_context
from cardgraph.errors import (
    BadRequestError,
    CardgraphError,
    InternalError,
    RateLimitedError,
    UnavailableError,
)
from cardgraph.events.hub import EventHub
from cardgraph.graphql.context import Context
from cardgraph.graphql.errors import UNAVAILABLE_ERRORS, UNAVAILABLE_MESSAGE, coded_error
from cardgraph.graphql.ide import ide_page_response
from cardgraph.graphql.multipart import operations_with_files
from cardgraph.graphql.raw_json import encode_response
from cardgraph.graphql.request_json import RequestJsonError, parse_request_json
from cardgraph.graphql.response_media import (
    first_error_code,
    is_request_error,
    method_refusal,
    negotiate,
    negotiated,
)
from cardgraph.graphql.response_size import bounded_http_response, bounded_socket_message
from cardgraph.graphql.sockets import (
    CLOSE_FORBIDDEN,
    SocketRegistry,
    SocketSession,
    WebSocketChannel,
    websocket_channel,
)
from cardgraph.graphql.transport_ws import CodedTransportWSHandler
from cardgraph.services import Services
from cardgraph.settings import Settings

logger = logging.getLogger("cardgraph.graphql")

_STATUS = {
    "BAD_REQUEST": 400,
    "VALIDATION_FAILED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "COST_LIMIT": 400,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "CONFIGURATION": 503,
}


def error_response(
    error: CardgraphError, status: int | None = None, allow: str | None = None
) -> JSONResponse:
    """A GraphQL-shaped JSON error response for errors raised outside execution."""
    status = status or _STATUS.get(error.code, 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, RateLimitedError):
        headers = {"Retry-After": str(error.retry_after_s)}
    if allow is not None:
        headers = {"Allow": allow}
    extensions: dict[str, str] = {"code": error.code}
    if isinstance(error, InternalError):
        extensions["requestId"] = error.request_id
    body = {"errors": [{"message": error.message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=headers)


class CardgraphGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with API-key authentication on every request."""

    graphql_transport_ws_handler_class = CodedTransportWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        services: Callable[[], Services],
        hub: Callable[[], EventHub | None],
        sockets: SocketRegistry,
        settings: Settings,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphql_ide else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout_s),
            max_subscriptions_per_connection=settings.ws_max_operations,
            multipart_uploads_enabled=True,
        )
        self._services = services
        self._hub = hub
        self._sockets = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One authentication decision for every request that can execute GraphQL."""
        if scope["type"] == "websocket":
            await self._serve_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media_type = negotiate(request.headers.get("accept"))
        response: Response
        try:
            if self._is_ide_page(request):
                # Static HTML, and nothing else: this branch never reaches execution.
                response = ide_page_response()
            else:
                token = parse_bearer(request.headers.get("authorization"))
                principal = await self._services().authenticator.authenticate(token)
                await self._services().rate_limiter.check(principal)  # before the body is read
                context = Context(
                    request=request,
                    services=self._services(),
                    request_id=_request_id(request),
                    principal=principal,
                )
                audit_context.request_id.set(context.request_id)
                response = await self.run(request, context=context)
        except CardgraphError as error:
            response = error_response(error)
        except HTTPException as error:
            refusal = method_refusal(error, request.method)
            if refusal is None:
                response = error_response(BadRequestError(error.reason), error.status_code)
            else:
                response = error_response(
                    BadRequestError(refusal.message), refusal.status, refusal.allow
                )
        except UNAVAILABLE_ERRORS:
            response = error_response(UnavailableError(UNAVAILABLE_MESSAGE))
        except ClientDisconnect:
            # The client left before sending its whole request: nobody to answer, nothing done.
            await request.close()
            return
        except Exception:  # never a stack trace to the client: log it, answer with an id
            request_id = _request_id(request)
            logger.exception("unexpected error outside execution (request %s)", request_id)
            response = error_response(InternalError(request_id))
        finally:
            # Closes uploaded files of multipart requests, whatever happened.
            await request.close()
        response = negotiated(response, media_type, scope.get(_REQUEST_ERROR_KEY), _STATUS)
        await response(scope, receive, send)

    async def _serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a socket through a channel cardgraph can close (size limit, revocation)."""
        services = self._services()
        channel = websocket_channel(scope, receive, send, services.settings.graphql_max_body_bytes)
        try:
            await super().__call__(scope, channel.receive, channel.send)
        finally:
            channel.release()
            session = scope.get(_SESSION_KEY)
            if isinstance(session, SocketSession):
                self._sockets.unregister(session)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Serialise a result; any error that escaped `CodedErrors` is coded here."""
        if result.errors:
            request_id = _request_id(request)
            result.errors = [coded_error(error, request_id) for error in result.errors]
        body = await super().process_result(request, result)
        if is_request_error(body):
            # Nothing executed: no `data` at all (the spec), and a 4xx status for clients
            # accepting application/graphql-response+json.
            body.pop("data", None)
            request.scope[_REQUEST_ERROR_KEY] = first_error_code(body) or ""
        return body

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The HTTP response; over the response cap, RESPONSE_TOO_LARGE; refusals' statuses."""
        response = super().create_response(response_data, sub_response)
        max_bytes = self._services().settings.graphql_max_response_bytes
        return bounded_http_response(response, response_data, max_bytes)

    def encode_json(self, data: object) -> str | bytes:
        """Serialise a response body or WebSocket message (stored JSON embedded as it is); a
        WebSocket result over the response cap becomes an error."""
        encoded = encode_response(data)
        max_bytes = self._services().settings.graphql_max_response_bytes
        return bounded_socket_message(encoded, data, max_bytes)

    def parse_json(self, data: str | bytes) -> Any:
        """Parse a request body: one JSON object, or BAD_REQUEST (never an internal error)."""
        try:
            return parse_request_json(data)
        except RequestJsonError as error:
            raise HTTPException(400, error.msg) from None

    def decode_json(self, data: str | bytes) -> object:
        """Parse a WebSocket message as HTTP bodies are (a refusal closes the socket, 4400)."""
        return parse_request_json(data)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """A multipart request (file uploads), checked strictly: anything off is BAD_REQUEST."""
        try:
            form = await request.get_form_data()
        except (ValueError, StarletteHTTPException) as error:  # Starlette's parser: 400
            reason = getattr(error, "detail", "unreadable")
            raise HTTPException(400, f"malformed multipart body: {reason}") from None
        return operations_with_files(form.form, self.parse_json)

    def _is_ide_page(self, request: Request) -> bool:
        # The IDE's HTML is static; every query it then sends carries a key like any client.
        # A GET with any parameter is a request to execute, authenticated like every other.
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and not request.url.query
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_context(self, request: Request | WebSocket, response: object) -> Context:
        """Context of a WebSocket connection; its principal is set by connection_init."""
        return Context(
            request=request,
            services=self._services(),
            request_id=_request_id(request),
            hub=self._hub(),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate `connection_init`: payload `{"Authorization": "Bearer <key>"}`."""
        params = context.connection_params
        header = params.get("Authorization") or params.get("authorization")
        if header is None and isinstance(params.get("apiKey"), str):
            header = f"Bearer {params['apiKey']}"
        audit_context.request_id.set(context.request_id)
        channel = context.request.scope.get("cardgraph.channel")
        assert isinstance(channel, WebSocketChannel)
        try:
            token = parse_bearer(header if isinstance(header, str) else None)
        except CardgraphError as error:
            await channel.close(CLOSE_FORBIDDEN, f"{error.code}: {error.message}")
            raise ConnectionRejectionError({"message": error.message}) from None
        session = SocketSession(channel, context.services.authenticator, token)
        try:
            context.principal = await session.authenticate()
            await self._sockets.register(session)
        except CardgraphError as error:  # bad token, its issuer unreachable, too many sockets
            await channel.close(CLOSE_FORBIDDEN, f"{error.code}: {error.message}")
            raise ConnectionRejectionError({"message": error.message}) from None
        context.request.scope[_SESSION_KEY] = session
        context.socket = session
        return {"role": context.principal.role.name}


# Ids unique across processes (a random prefix) without a system call per request.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)
_REQUEST_ID_KEY = "cardgraph.request_id"
_SESSION_KEY = "cardgraph.socket_session"
_REQUEST_ERROR_KEY = "cardgraph.request_error_code"  # set when a result failed before execution


def _request_id(request: Request | WebSocket) -> str:
    """The caller's X-Request-ID, or one made for this request (the same on every call)."""
    known: str | None = request.scope.get(_REQUEST_ID_KEY)
    if known is None:
        given = request.headers.get("x-request-id", "")
        known = given[:64] if given else f"{_ID_PREFIX}-{next(_id_counter):x}"
        request.scope[_REQUEST_ID_KEY] = known
    return known
