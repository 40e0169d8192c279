"""GraphQL over HTTP (the spec's media types and status codes) on top of strawberry's view.

A client that accepts `application/graphql-response+json` gets that media type, and a request
error (nothing executed: syntax, validation, variable coercion, limits) gets a 4xx status.
A client that accepts `application/json` (or anything else, or nothing) gets it as before:
200 for GraphQL errors, so legacy clients read every error from the body. Either way a request
error leaves out `data`, which says that execution never started; a field error keeps
`data` (null, or partial).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cross_web import HTTPException
from starlette.responses import Response
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_CONTENT_TYPE = {
    GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8",
    JSON: JSON,
}


def negotiate(accept: str | None) -> str:
    """The response media type for an Accept header: `application/graphql-response+json` when
    it is preferred at least as much as `application/json`, `application/json` otherwise."""
    graphql_q = 0.0
    json_q: float | None = None  # application/json named explicitly
    wildcard_q = 0.0  # application/* or */*, which application/json satisfies
    for part in (accept or "").split(","):
        media, _, params = part.partition(";")
        media = media.strip().lower()
        q = _quality(params)
        if media == GRAPHQL_RESPONSE_JSON:
            graphql_q = max(graphql_q, q)
        elif media == JSON:
            json_q = max(json_q or 0.0, q)
        elif media in ("application/*", "*/*"):
            wildcard_q = max(wildcard_q, q)
    plain_q = json_q if json_q is not None else wildcard_q
    return GRAPHQL_RESPONSE_JSON if graphql_q > 0 and graphql_q >= plain_q else JSON


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0  # an unreadable weight: as if the type were refused
    return 1.0


def is_request_error(body: Mapping[str, object]) -> bool:
    """Whether a result failed before execution: no data and no error at a field's path."""
    errors = body.get("errors")
    if body.get("data") is not None or not isinstance(errors, list) or not errors:
        return False
    # Every field error carries the path of its field; refusals before execution have none.
    return all(isinstance(error, dict) and error.get("path") is None for error in errors)


def first_error_code(body: object) -> str | None:
    """`extensions.code` of a body's first error."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    extensions = errors[0].get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def negotiated(
    response: Response, media_type: str, request_error: str | None, statuses: Mapping[str, int]
) -> Response:
    """`response` (a GraphQL JSON body) in the negotiated media type; with
    `application/graphql-response+json`, a request error (`request_error`: its code, "" if
    none) gets its code's status: 400 for syntax, validation and variable errors."""
    if not response.headers.get("content-type", "").startswith(JSON):
        return response  # the IDE's page, a stream: not a GraphQL JSON body
    response.headers["content-type"] = _CONTENT_TYPE[media_type]
    refused = media_type == GRAPHQL_RESPONSE_JSON and request_error is not None
    if refused and response.status_code == 200:
        response.status_code = statuses.get(request_error or "", 400)
    return response


@dataclass(frozen=True)
class MethodRefusal:
    """An operation refused because of the HTTP method it came with."""

    status: int
    message: str
    allow: str | None  # the Allow header of a 405


def method_refusal(error: HTTPException, method: str) -> MethodRefusal | None:
    """What to answer when strawberry refuses an operation for its method, or None."""
    cause = error.__cause__
    if isinstance(cause, InvalidOperationTypeError):
        if cause.operation_type is OperationType.MUTATION:
            # The spec: a mutation over GET is 405, so a cache or crawler never runs one.
            return MethodRefusal(405, "mutations are sent with POST; GET only reads", "POST")
        if cause.operation_type is OperationType.SUBSCRIPTION:
            return MethodRefusal(
                400,
                f"subscriptions are not served over HTTP {method}: open a WebSocket to "
                "/graphql with the graphql-transport-ws protocol",
                None,
            )
    if error.status_code == 405:
        return MethodRefusal(405, "GraphQL requests are sent with GET or POST", "GET, POST")
    return None
