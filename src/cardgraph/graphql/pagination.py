"""Relay-style connection types shared by every list, and the one way resolvers page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from cardgraph.graphql.context import Info
from cardgraph.pagination import CursorKind, Page, PageRequest, page_size

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")
K = TypeVar("K", bound=tuple[Any, ...])


@strawberry.type(description="Where a page ends and whether more follow.")
class PageInfo:
    """Pagination state."""

    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a list, with its cursor.")
class Edge(Generic[NodeT]):
    """A node and its cursor."""

    node: NodeT = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque position of this item.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    """Edges, page info and the total count."""

    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list.")
    async def total_count(self) -> int:
        return await self.count()


async def page_request(
    info: Info, kind: CursorKind[K], first: int | None, after: str | None
) -> PageRequest[K]:
    """A list's `first` and `after` as a checked page request (BAD_REQUEST naming the argument)."""
    context = info.context
    context.actor  # noqa: B018 -- authenticate before reading any argument
    settings = context.services.settings
    size = page_size(first, settings.page_size_default, settings.page_size_max)
    if after is None:
        return PageRequest(kind, size)
    codec = await context.services.cursors.codec()
    return PageRequest(kind, size, codec.decode(kind, after))


async def to_connection(
    info: Info, page: Page[ItemT, Any], convert: Callable[[ItemT], NodeT]
) -> Connection[NodeT]:
    """A domain page as a connection, each item's key signed into its cursor."""
    codec = await info.context.services.cursors.codec()
    edges = [
        Edge(node=convert(item), cursor=codec.encode(page.kind, key)) for item, key in page.items
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=page.count,
    )
