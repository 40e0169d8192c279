"""Writes to several collections, in order, in one round trip: a client `bulkWrite`."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import AsyncMongoClient, InsertOne, UpdateOne
from pymongo.errors import ClientBulkWriteException
from pymongo.results import ClientBulkWriteResult

from cardgraph.storage.mongo import DUPLICATE_KEY, Document

# The wire version of MongoDB 8.0, the first server with the `bulkWrite` command.
BULK_WRITE_WIRE_VERSION = 25

# Every operation names its collection (`namespace="db.collection"`).
Write = InsertOne[Document] | UpdateOne


@dataclass(frozen=True, slots=True)
class AppliedWrites:
    """How far one ordered write went."""

    # Operations that took effect, in order, before a duplicate key stopped the rest.
    applied: int
    # Documents modified by each applied update, by the update's position.
    modified: dict[int, int]


class OrderedWrites:
    """Sends writes to several collections as one ordered `bulkWrite` (MongoDB 8.0+)."""

    def __init__(self, client: AsyncMongoClient[Document]) -> None:
        self._client = client
        self._supported: bool | None = None  # asked of the server on first use

    async def supported(self) -> bool:
        """Whether the server takes `bulkWrite` (older servers get one command per collection)."""
        if self._supported is None:
            hello = await self._client.admin.command("hello")
            self._supported = int(hello.get("maxWireVersion", 0)) >= BULK_WRITE_WIRE_VERSION
        return self._supported

    async def write(self, operations: list[Write]) -> AppliedWrites:
        """Apply the operations in order; a duplicate key stops the rest (and is no error)."""
        try:
            result = await self._client.bulk_write(operations, ordered=True, verbose_results=True)
        except ClientBulkWriteException as error:
            # Documents, whatever `write_errors` is annotated as; an ordered write has one.
            refused: list[Document] = error.details.get("writeErrors") or []
            if error.error is not None or error.write_concern_errors or not refused:
                raise
            if any(e.get("code") != DUPLICATE_KEY for e in refused):
                raise
            return AppliedWrites(min(int(e["idx"]) for e in refused), _modified(error))
        return AppliedWrites(len(operations), _modified_by(result))


def _modified(error: ClientBulkWriteException) -> dict[int, int]:
    partial = error.partial_result
    return {} if partial is None else _modified_by(partial)


def _modified_by(result: ClientBulkWriteResult) -> dict[int, int]:
    if not result.has_verbose_results:
        return {}
    return {index: update.modified_count for index, update in result.update_results.items()}
