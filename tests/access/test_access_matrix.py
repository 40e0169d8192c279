"""Outside in: every root field and route, every credential, every transport.

The fields come from the server's own introspection and the routes from the app, so nothing
new can be forgotten. Anonymous, malformed, unknown, revoked and expired credentials must get
UNAUTHENTICATED and no data over POST, GET (whatever it accepts), multipart and WebSocket;
each role must get FORBIDDEN exactly below the field's minimum role, before any validation.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
from cryptography.hazmat.primitives.asymmetric import rsa
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.types import ExecutionResult
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from cardgraph.errors import UnauthenticatedError
from cardgraph.graphql.context import Context
from cardgraph.graphql.schema import Mutation, Query, Subscription, build_schema
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.access_matrix import INTROSPECTION, MINIMUM_ROLE, RootField, root_fields
from tests.support.oidc_issuer import new_signing_key, oidc_settings, serving_jwks, signed_token
from tests.support.servers import GraphQLClient, running_app

REFUSED_CODES = {"FORBIDDEN", "UNAUTHENTICATED", "INTERNAL", "UNAVAILABLE"}


@pytest.fixture(scope="module")
def provider_key() -> rsa.RSAPrivateKey:
    """The identity provider's signing key."""
    return new_signing_key()


@pytest.fixture(scope="module")
def served(settings: Settings, provider_key: rsa.RSAPrivateKey) -> Iterator[tuple[str, Starlette]]:
    """An API taking API keys and the provider's tokens."""
    with serving_jwks(provider_key) as jwks, running_app(oidc_settings(settings, jwks)) as app:
        yield app


@pytest.fixture(scope="module")
def url(served: tuple[str, Starlette]) -> str:
    """Its base URL."""
    return served[0]


@pytest.fixture(scope="module")
def admin_http(url: str, keys: dict[Role, str]) -> Iterator[GraphQLClient]:
    """An admin client of this API."""
    with GraphQLClient(url, keys[Role.ADMIN]) as client:
        yield client


@pytest.fixture(scope="module")
def fields(url: str, keys: dict[Role, str]) -> list[RootField]:
    """Every root field, by introspection."""
    with GraphQLClient(url, keys[Role.ADMIN]) as admin:
        return root_fields(admin.data(INTROSPECTION))


@pytest.fixture(scope="module")
def bad_credentials(url: str, keys: dict[Role, str], provider_key: Any) -> dict[str, str | None]:
    """Authorization header values that must all be refused."""
    with GraphQLClient(url, keys[Role.ADMIN]) as admin:
        created = admin.data(
            'mutation { createApiKey(name: "soon-revoked", role: ADMIN) { apiKey { id } secret } }'
        )["createApiKey"]
        admin.data(
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": created["apiKey"]["id"]}
        )
    good = keys[Role.ADMIN]
    return {
        "none": None,
        "empty bearer": "Bearer",
        "basic": "Basic YWRtaW46YWRtaW4=",
        "unknown key": "Bearer cg_0123456789abcdef_not-a-secret",
        "wrong secret": f"Bearer {good.rsplit('_', 1)[0]}_wrong",
        "revoked key": f"Bearer {created['secret']}",
        "expired token": f"Bearer {signed_token(provider_key, role='admin', expires_in=-60)}",
        "forged token": f"Bearer {signed_token(new_signing_key(), role='admin')}",
    }


def test_every_field_is_known_to_the_access_table(fields: list[RootField]) -> None:
    assert {f.key for f in fields} == set(MINIMUM_ROLE)


def test_every_field_refuses_bad_credentials_over_http(
    url: str, fields: list[RootField], bad_credentials: dict[str, str | None]
) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for field in fields:
            for label, header in bad_credentials.items():
                auth = {"Authorization": header} if header is not None else {}
                for transport, response in _http_attempts(http, field, auth):
                    where = f"{field.key} {label} {transport}"
                    assert response.status_code == 401, (where, response.text[:300])
                    body = response.json()
                    assert "data" not in body, where
                    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", where


def test_every_field_refuses_bad_credentials_over_websocket(
    url: str, bad_credentials: dict[str, str | None], fields: list[RootField]
) -> None:
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    for label, header in bad_credentials.items():
        payload = {"Authorization": header} if header is not None else {}
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403, label
    for field in fields:  # operations before connection_init are refused as the protocol says
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": _payload(field)}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401, field.key


def test_each_role_is_forbidden_below_the_fields_minimum_over_http(
    url: str, fields: list[RootField], keys: dict[Role, str], provider_key: Any
) -> None:
    callers = {role.name: (role, f"Bearer {key}") for role, key in keys.items()}
    callers["oidc reader"] = (Role.READER, f"Bearer {signed_token(provider_key, role='reader')}")
    with httpx.Client(base_url=url, timeout=60) as http:
        for field in fields:
            if field.root == "Subscription":
                continue  # over WebSocket below
            for label, (role, header) in callers.items():
                response = _post(http, field, {"Authorization": header})
                _expect(field, role, response.json(), f"{field.key} {label} POST")
                if field.root == "Query":
                    response = http.get(
                        "/graphql", params=_params(field), headers={"Authorization": header}
                    )
                    _expect(field, role, response.json(), f"{field.key} {label} GET")


def test_mutations_over_get_execute_nothing(
    url: str, fields: list[RootField], keys: dict[Role, str]
) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for field in fields:
            if field.root != "Mutation":
                continue
            for accept in ("application/json", "text/html"):
                response = http.get(
                    "/graphql",
                    params=_params(field),
                    headers={"Authorization": f"Bearer {keys[Role.ADMIN]}", "Accept": accept},
                )
                # GraphQL over HTTP: a mutation over GET is 405 (Allow: POST), never run.
                assert response.status_code == 405, (field.key, response.status_code)
                assert response.headers["allow"] == "POST", field.key
                assert response.json().get("data") is None, field.key


def test_each_role_is_forbidden_below_the_fields_minimum_over_websocket(
    url: str, fields: list[RootField], keys: dict[Role, str], admin_http: GraphQLClient
) -> None:
    ws_url = url.replace("http", "ws", 1) + "/graphql"

    async def attempt(role: Role) -> None:
        transport = WebsocketsTransport(
            url=ws_url, init_payload={"Authorization": f"Bearer {keys[role]}"}
        )
        async with Client(transport=transport) as session:
            for field in fields:
                if field.needs_upload:
                    continue  # a file cannot travel over a WebSocket
                where = f"{field.key} {role.name} WebSocket"
                try:
                    if field.key == "Subscription.cardEvents":
                        await _first_card_event(session, field, admin_http)
                    elif field.root == "Subscription":
                        async for _ in session.subscribe(_request(field)):
                            break
                    else:
                        await session.execute(_request(field))
                    errors: list[dict[str, Any]] = []
                except TransportQueryError as error:
                    errors = error.errors or []
                _expect(field, role, {"errors": errors} if errors else {}, where)

    for role in Role:
        asyncio.run(attempt(role))


def test_every_route_refuses_anonymous_callers_on_every_method(
    served: tuple[str, Starlette],
) -> None:
    base, app = served
    public = {"/healthz", "/readyz"}
    static = {"/", "/graphiql/{asset}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        for route in app.routes:
            if isinstance(route, WebSocketRoute):
                continue  # covered above
            assert isinstance(route, Route)
            path = route.path.replace("{artifact_id}", "0" * 24)
            for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"):
                for accept in ("application/json", "text/html", "*/*"):
                    response = http.request(method, path, headers={"Accept": accept})
                    where = f"{method} {path} {accept}"
                    if path in public and method in ("GET", "HEAD"):
                        assert response.status_code in (200, 503), where
                    elif path in static and method in ("GET", "HEAD"):
                        # `/` points to the IDE or lists the endpoints; the IDE's files are
                        # static (an unknown name is 404): neither executes anything.
                        assert response.status_code in (200, 307, 404), where
                        assert '"data"' not in response.text, where
                    elif (
                        path == "/graphql"
                        and method in ("GET", "HEAD")
                        and accept != "application/json"
                    ):
                        # The static IDE page (no key, nothing executed), 404 without the IDE,
                        # or a refusal.
                        assert response.status_code in (200, 401, 404), where
                        assert '"data"' not in response.text, where
                    else:
                        assert response.status_code in (401, 405), (where, response.status_code)


def _http_attempts(
    http: httpx.Client, field: RootField, auth: dict[str, str]
) -> Iterator[tuple[str, httpx.Response]]:
    yield "POST json", _post(http, field, auth)
    for accept in ("application/json", "text/html", "*/*"):
        yield (
            f"GET {accept}",
            http.get("/graphql", params=_params(field), headers={**auth, "Accept": accept}),
        )
    operations = json.dumps(_payload(field))
    yield (
        "POST multipart",
        http.post(
            "/graphql",
            data={"operations": operations, "map": "{}"},
            files={"unused": ("x.json", b"{}", "application/json")},
            headers=auth,
        ),
    )
    yield (
        "POST graphql",
        http.post(
            "/graphql",
            content=field.document,
            headers={**auth, "Content-Type": "application/graphql"},
        ),
    )


def _post(http: httpx.Client, field: RootField, headers: dict[str, str]) -> httpx.Response:
    if not field.needs_upload:
        return http.post("/graphql", json=_payload(field), headers=headers)
    payload = _payload(field)
    path = _upload_path(payload["variables"], "variables")
    return http.post(
        "/graphql",
        data={"operations": json.dumps(payload), "map": json.dumps({"0": [path]})},
        files={"0": ("metrics.json", b"{}", "application/json")},
        headers=headers,
    )


def _upload_path(value: Any, path: str) -> str:
    if value is None:
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _upload_path(item, f"{path}.{key}")
            if found:
                return found
    return ""


def _request(field: RootField) -> GraphQLRequest:
    return GraphQLRequest(field.document, variable_values=field.variables)


def _payload(field: RootField) -> dict[str, Any]:
    return {"query": field.document, "variables": field.variables}


def _params(field: RootField) -> dict[str, str]:
    return {"query": field.document, "variables": json.dumps(field.variables)}


def _expect(field: RootField, role: Role, body: dict[str, Any], where: str) -> None:
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    if role < MINIMUM_ROLE[field.key]:
        assert "FORBIDDEN" in codes, (where, body)
        data = body.get("data") or {}
        assert data.get(field.name) is None, (where, body)
    else:
        assert not REFUSED_CODES & set(codes), (where, body)


async def _first_card_event(session: Any, field: RootField, admin: GraphQLClient) -> None:
    """Subscribe to card events, then change cards until one arrives."""
    stream = session.subscribe(GraphQLRequest("subscription { cardEvents { kind } }"))
    waiting = asyncio.ensure_future(stream.__anext__())
    for attempt in range(100):
        done, _ = await asyncio.wait({waiting}, timeout=0.2)
        if done:
            waiting.result()
            await stream.aclose()
            return
        admin.data(
            "mutation($n: String!) { createCard(input: {name: $n}) { number } }",
            {"n": f"acc-event-{attempt}-{uuid.uuid4().hex[:12]}"},
        )
    waiting.cancel()
    raise AssertionError(f"{field.key}: no event arrived")


def test_every_root_field_refuses_a_context_without_principal_by_itself(
    fields: list[RootField], settings: Settings
) -> None:
    """The second lock alone: a schema without the operation gate (as if the HTTP and
    WebSocket checks were bypassed) still resolves no root field for nobody."""
    build_schema(settings)  # puts the guard on every root field
    bare = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
    nobody = Context(request=None, services=None, request_id="test")  # type: ignore[arg-type]

    async def attempt(field: RootField) -> list[Any]:
        if field.root == "Subscription":
            stream = await bare.subscribe(
                field.document, variable_values=field.variables, context_value=nobody
            )
            assert not isinstance(stream, ExecutionResult) or stream.errors, field.key
            if isinstance(stream, ExecutionResult):
                return list(stream.errors or [])
            async for result in stream:
                return list(result.errors or [])
            return []
        result = await bare.execute(
            field.document, variable_values=field.variables, context_value=nobody
        )
        assert not result.data or result.data.get(field.name) is None, field.key
        return list(result.errors or [])

    for field in fields:
        if field.needs_upload:
            continue  # an Upload cannot be given outside a multipart request
        errors = asyncio.run(attempt(field))
        assert any(isinstance(e.original_error, UnauthenticatedError) for e in errors), (
            field.key,
            errors,
        )
