"""One ordered bulkWrite across collections, against the real server: how far it went."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pymongo import InsertOne, UpdateOne
from pymongo.errors import ClientBulkWriteException

from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from cardgraph.storage.ordered_writes import AppliedWrites, OrderedWrites
from tests.support.servers import run_async


def _write(settings: Settings, operations: list[Any]) -> AppliedWrites:
    async def scenario() -> AppliedWrites:
        client = create_async_client(settings)
        try:
            writes = OrderedWrites(client)
            assert await writes.supported()  # SecantusDB speaks MongoDB 8.0's wire version
            return await writes.write(operations)
        finally:
            await client.close()

    return run_async(scenario())


def test_every_operation_applies_in_order_and_each_update_says_what_it_modified(
    settings: Settings, db: Any
) -> None:
    key = uuid.uuid4().hex
    first, second = f"{db.name}.ordered_first", f"{db.name}.ordered_second"
    written = _write(
        settings,
        [
            InsertOne({"_id": key, "n": 1}, namespace=first),
            UpdateOne({"_id": key}, {"$set": {"n": 2}}, namespace=first),
            UpdateOne({"_id": "nobody"}, {"$set": {"n": 3}}, namespace=first),
            InsertOne({"_id": key}, namespace=second),
        ],
    )
    assert written == AppliedWrites(applied=4, modified={1: 1, 2: 0})
    assert db.ordered_first.find_one({"_id": key})["n"] == 2
    assert db.ordered_second.find_one({"_id": key}) is not None


def test_a_duplicate_key_stops_the_rest_and_says_where(settings: Settings, db: Any) -> None:
    key = uuid.uuid4().hex
    namespace = f"{db.name}.ordered_first"
    db.ordered_first.insert_one({"_id": f"{key}-taken"})
    written = _write(
        settings,
        [
            InsertOne({"_id": f"{key}-a"}, namespace=namespace),
            UpdateOne({"_id": f"{key}-a"}, {"$set": {"seen": True}}, namespace=namespace),
            InsertOne({"_id": f"{key}-taken"}, namespace=namespace),
            InsertOne({"_id": f"{key}-never"}, namespace=namespace),
        ],
    )
    assert written == AppliedWrites(applied=2, modified={1: 1})
    assert db.ordered_first.find_one({"_id": f"{key}-a"})["seen"] is True
    assert db.ordered_first.find_one({"_id": f"{key}-never"}) is None


def test_any_other_write_error_is_raised(settings: Settings, db: Any) -> None:
    key = uuid.uuid4().hex
    namespace = f"{db.name}.ordered_first"
    db.ordered_first.insert_one({"_id": key, "n": "text"})
    with pytest.raises(ClientBulkWriteException):
        # $inc of a string: a write error that is no duplicate key.
        _write(settings, [UpdateOne({"_id": key}, {"$inc": {"n": 1}}, namespace=namespace)])
