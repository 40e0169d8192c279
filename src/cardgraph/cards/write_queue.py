"""Group commit: requests for one key that arrive while a batch of that key is being written
are written together in the next batch, so a busy card costs one round of database writes per
batch instead of one per request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cardgraph.caching.shared_reads import retrieve_outcome

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")


@dataclass(eq=False, slots=True)
class Pending(Generic[RequestT, ResultT]):
    """One queued request and the future its caller awaits."""

    request: RequestT
    result: asyncio.Future[ResultT]

    def resolve(self, outcome: ResultT | Exception) -> None:
        """Hand the caller its result, or its own error."""
        if self.result.done():
            return
        if isinstance(outcome, Exception):
            self.result.set_exception(outcome)
        else:
            self.result.set_result(outcome)


BatchWriter = Callable[[str, list[Pending[RequestT, ResultT]]], Awaitable[None]]


class WriteQueue(Generic[RequestT, ResultT]):
    """At most one batch per key under way in this process; the writer resolves every request
    of its batch, and an error it raises reaches every request it left unresolved."""

    def __init__(self, write: BatchWriter[RequestT, ResultT]) -> None:
        self._write = write
        self._queued: dict[str, list[Pending[RequestT, ResultT]]] = {}
        # Strong references: the event loop keeps only weak ones to running tasks.
        self._flushers: dict[str, asyncio.Task[None]] = {}

    async def submit(self, key: str, request: RequestT) -> ResultT:
        """Queue `request` and wait until the batch that carries it is written."""
        pending: Pending[RequestT, ResultT] = Pending(
            request, asyncio.get_running_loop().create_future()
        )
        # An outcome nobody awaits any more (its caller left) is still retrieved: no warning.
        pending.result.add_done_callback(retrieve_outcome)
        self._queued.setdefault(key, []).append(pending)
        if key not in self._flushers:
            self._flushers[key] = asyncio.create_task(self._flush(key))
        # A caller that leaves does not cancel the batch: the other requests in it go on.
        return await asyncio.shield(pending.result)

    async def _flush(self, key: str) -> None:
        try:
            while batch := self._queued.pop(key, None):
                try:
                    await self._write(key, batch)
                except Exception as error:  # it goes to the callers instead
                    for pending in batch:
                        pending.resolve(error)
                finally:
                    # Only cancellation (shutdown) leaves requests unresolved here.
                    for pending in batch:
                        pending.result.cancel()
        except asyncio.CancelledError:
            for pending in self._queued.pop(key, []):
                pending.result.cancel()
            raise
        finally:
            self._flushers.pop(key, None)
