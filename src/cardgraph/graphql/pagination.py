"""Relay-style connection types shared by every list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from cardgraph.pagination import Page

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")


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
        """Counted only when asked for."""
        return await self.count()


def to_connection(page: Page[ItemT], convert: Callable[[ItemT], NodeT]) -> Connection[NodeT]:
    """Build a connection from a domain page."""
    edges = [Edge(node=convert(item), cursor=cursor) for item, cursor in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=page.count,
    )
