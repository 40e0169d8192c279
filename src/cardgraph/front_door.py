"""What a person reaching the API's root finds: GET / and the IDE's files."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cardgraph.graphql.ide import ASSET_PATH, ide_asset
from cardgraph.settings import Settings

# Where `GET /` points when the IDE is off (the production default).
SERVICE_INDEX = {
    "service": "cardgraph",
    "graphql": "/graphql",
    "health": "/healthz",
    "ready": "/readyz",
    "usage": "POST GraphQL to /graphql with 'Authorization: Bearer <API key>'; "
    "the schema is schema.graphql in the source and README.md explains it",
}


def front_routes(settings: Settings) -> list[Route]:
    """`GET /` (the IDE when it is on, else an index of the endpoints) and the IDE's files."""

    async def root(request: Request) -> Response:
        if settings.graphql_ide:
            return RedirectResponse("/graphql", status_code=307)
        return JSONResponse(SERVICE_INDEX)

    routes = [Route("/", root, methods=["GET"])]
    if settings.graphql_ide:
        routes.append(Route(f"/{ASSET_PATH}/{{asset}}", ide_asset, methods=["GET"]))
    return routes
