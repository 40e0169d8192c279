"""Sibling fields run to the end when one of them fails, instead of being cancelled.

graphql-core cancels the other fields of a selection set as soon as one fails with an error
that nulls their parent. A field cancelled in the middle of a database call leaves PyMongo's
socket unclosed (PyMongo 4.20's async pool; https://jira.mongodb.org/browse/PYTHON-5867): one
bad argument next to a good field leaked a connection per request until the collector ran.
Letting the siblings settle costs the failing request the time of its slowest field, nothing
more; results of a successful request are unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from graphql.execution import executor


async def gather_settled(*awaitables: Awaitable[Any]) -> list[Any]:
    """Await every value; then raise the first error, if any (graphql-core's gather contract)."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def settle_sibling_fields() -> None:
    """Make graphql-core's executor settle sibling fields and list items rather than cancel
    them (the one name its selection-set and list completion call)."""
    executor.gather_with_cancel = gather_settled  # type: ignore[attr-defined]  # not re-exported
