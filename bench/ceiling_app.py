"""Ceilings for the HTTP benchmark: a bare Starlette endpoint, and a trivial strawberry query
with exactly cardgraph's schema extensions (limits, parser and validation caches, errors)."""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from cardgraph.graphql.schema import schema_extensions
from cardgraph.settings import Settings


@strawberry.type
class Query:
    """A trivial query."""

    @strawberry.field
    def hello(self) -> str:
        """A constant."""
        return "world"


schema = strawberry.Schema(query=Query, extensions=schema_extensions(Settings()))


async def bare(request: Request) -> JSONResponse:
    """Fixed JSON."""
    return JSONResponse({"data": {"hello": "world"}})


app = Starlette(
    routes=[
        Route("/bare", bare),
        Route("/graphql", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"]),
    ]
)
