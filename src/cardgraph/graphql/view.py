"""The /graphql endpoint: authentication, JSON errors for malformed requests, WebSocket auth."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import orjson
from cross_web import HTTPException
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
    UnavailableError,
)
from cardgraph.events.hub import EventHub
from cardgraph.graphql.context import Context
from cardgraph.graphql.errors import UNAVAILABLE_ERRORS, UNAVAILABLE_MESSAGE, coded_error
from cardgraph.services import Services

logger = logging.getLogger("cardgraph.graphql")

_STATUS = {
    "BAD_REQUEST": 400,
    "VALIDATION_FAILED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
}


def error_response(error: CardgraphError, status: int | None = None) -> JSONResponse:
    """A GraphQL-shaped JSON error response for errors raised outside execution."""
    status = status or _STATUS.get(error.code, 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    extensions: dict[str, str] = {"code": error.code}
    if isinstance(error, InternalError):
        extensions["requestId"] = error.request_id
    body = {"errors": [{"message": error.message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=headers)


class CardgraphGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with API-key authentication on every request."""

    def __init__(
        self,
        schema: BaseSchema,
        services: Callable[[], Services],
        hub: Callable[[], EventHub | None],
        *,
        graphql_ide: bool,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphql_ide else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=20,
            multipart_uploads_enabled=True,
        )
        self._services = services
        self._hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate HTTP requests before strawberry sees them."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response: Response
        try:
            principal = None
            if not self._is_ide_page(request):
                token = parse_bearer(request.headers.get("authorization"))
                principal = await self._services().authenticator.authenticate(token)
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
            response = error_response(BadRequestError(error.reason), error.status_code)
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
        await response(scope, receive, send)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Serialise a result; any error that escaped `CodedErrors` is coded here."""
        if result.errors:
            request_id = _request_id(request)
            result.errors = [coded_error(error, request_id) for error in result.errors]
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> str | bytes:
        """Serialise a response body (orjson; the standard encoder for what orjson refuses)."""
        try:
            return orjson.dumps(data)
        except TypeError:  # integers past 64 bits in a stored content
            return super().encode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Parse a request body: one JSON object, or BAD_REQUEST (never an internal error)."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            # orjson refuses what the standard parser accepts (integers past 64 bits, NaN):
            # the standard parser has the last word, so the two never disagree on validity.
            try:
                value = json.loads(data)
            except ValueError:  # JSON syntax and undecodable bytes alike
                raise HTTPException(400, "the request body is not valid UTF-8 JSON") from None
        if not isinstance(value, dict):
            raise HTTPException(400, "the request body must be a JSON object")
        return value

    def _is_ide_page(self, request: Request) -> bool:
        # The IDE's HTML is static; every query it then sends carries a key like any client.
        return (
            self.graphql_ide is not None
            and request.method == "GET"
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
        try:
            token = parse_bearer(header if isinstance(header, str) else None)
            context.principal = await context.services.authenticator.authenticate(token)
        except CardgraphError as error:  # bad token, or its issuer unreachable
            raise ConnectionRejectionError({"message": error.message}) from None
        return {"role": context.principal.role.name}


# Ids unique across processes (a random prefix) without a system call per request.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)
_REQUEST_ID_KEY = "cardgraph.request_id"


def _request_id(request: Request | WebSocket) -> str:
    """The caller's X-Request-ID, or one made for this request (the same on every call)."""
    known: str | None = request.scope.get(_REQUEST_ID_KEY)
    if known is None:
        given = request.headers.get("x-request-id", "")
        known = given[:64] if given else f"{_ID_PREFIX}-{next(_id_counter):x}"
        request.scope[_REQUEST_ID_KEY] = known
    return known
