"""MongoDB collections and their indexes, and the async client the API and workers both use.

Workers run the same async services as the API, so they use this client too; only the lease
heartbeat thread (`jobs/heartbeat.py`) opens a synchronous client of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pymongo
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from cardgraph.settings import Settings

CARDS = "cards"
CARD_VERSIONS = "card_versions"
API_KEYS = "api_keys"
JOBS = "jobs"
ARTIFACTS = "artifacts"
MODEL_PACKAGES = "model_packages"
AUDIT_EVENTS = "audit_events"
DEPLOYMENT_SECRETS = "deployment_secrets"  # secrets every process shares (cursor signing)

Document = dict[str, Any]
DUPLICATE_KEY = 11000
# The one operation allowed past `mongodb_operation_timeout_ms`: index builds at start-up.
INDEX_BUILD_TIMEOUT_S = 120.0


def _live(*fields: str) -> list[tuple[str, int]]:
    return [("deleted", ASCENDING), *((f, ASCENDING) for f in fields), ("_id", ASCENDING)]


# Replaced by the `live_by_*` indexes; dropped where an older database still has them.
OBSOLETE_INDEXES = {CARDS: ("list_by_name", "list_by_created", "list_by_updated")}

INDEXES: dict[str, list[IndexModel]] = {
    CARDS: [
        # Live names are unique; a deleted card's live_name gets its id appended.
        IndexModel([("live_name", ASCENDING)], unique=True, name="live_name_unique"),
        # Lists sort by (field, _id); filters by risk or status come before the sort key.
        IndexModel(_live("name"), name="live_by_name"),
        IndexModel(_live("created_at"), name="live_by_created"),
        IndexModel(_live("updated_at"), name="live_by_updated"),
        IndexModel(_live("risk_rating", "name"), name="live_by_risk"),
        IndexModel(_live("status", "name"), name="live_by_status"),
        # A list's read is bounded on its sort key (cards/list_queries.py). Beside a filter no
        # `live_by_*` index matches whole (several statuses or ratings, a name search, a
        # creation range under another order) the embedded server serves the query by its
        # first clause that an index leads with: that is the sort-key range, on these.
        IndexModel([("name", ASCENDING), ("_id", ASCENDING)], name="sort_by_name"),
        IndexModel([("created_at", ASCENDING), ("_id", ASCENDING)], name="sort_by_created"),
        IndexModel([("updated_at", ASCENDING), ("_id", ASCENDING)], name="sort_by_updated"),
    ],
    CARD_VERSIONS: [
        # The commit point of every content change: one document per (card, version).
        IndexModel(
            [("card_id", ASCENDING), ("number", DESCENDING)],
            unique=True,
            name="card_version_unique",
        ),
        # A job creates at most one version, even when its task is delivered twice.
        IndexModel([("job_id", ASCENDING)], unique=True, sparse=True, name="job_id_unique"),
        # The versions ever approved (APPROVED or ARCHIVED now) of one card, for as-of answers.
        IndexModel([("card_id", ASCENDING), ("status", ASCENDING)], name="card_by_status"),
    ],
    API_KEYS: [IndexModel([("created_at", ASCENDING)], name="by_created")],
    JOBS: [
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="newest_first"),
        IndexModel([("card_name", ASCENDING), ("created_at", DESCENDING)], name="by_card"),
        IndexModel([("state", ASCENDING), ("sent_at", ASCENDING)], name="by_state_sent"),
    ],
    MODEL_PACKAGES: [
        # One card per package version: a linked package carries its card's id, unique.
        IndexModel([("card_id", ASCENDING)], unique=True, sparse=True, name="card_unique"),
        IndexModel([("group_name", ASCENDING), ("version", DESCENDING)], name="by_group"),
    ],
    AUDIT_EVENTS: [
        # Each chain is a gap-free sequence: the unique index makes appends race-safe.
        IndexModel(
            [("chain", ASCENDING), ("sequence", DESCENDING)],
            unique=True,
            name="chain_sequence_unique",
        ),
        IndexModel([("card_name", ASCENDING), ("_id", DESCENDING)], name="by_card"),
    ],
    ARTIFACTS: [
        # Same card version, same template, same format: one artifact (re-renders reuse it).
        IndexModel([("key", ASCENDING)], unique=True, name="artifact_key_unique"),
    ],
}


def _client_options(settings: Settings) -> dict[str, Any]:
    # timeoutMS bounds every operation end to end (server selection, connection checkout,
    # the wait for the reply, and the server's own maxTimeMS): a frozen or partitioned server
    # raises NetworkTimeout / ExecutionTimeout instead of holding the request. It supersedes
    # socketTimeoutMS, which it makes the driver ignore, and it is the server selection timeout
    # too (PyMongo uses the time remaining instead of serverSelectionTimeoutMS).
    return {
        "tz_aware": True,
        "timeoutMS": settings.mongodb_operation_timeout_ms,
        "serverSelectionTimeoutMS": settings.mongodb_timeout_ms,
        "connectTimeoutMS": settings.mongodb_timeout_ms,
        "appname": "cardgraph",
    }


def mongodb_url(settings: Settings) -> str:
    """The configured MongoDB URL, or raise if none is set (embedded servers set one)."""
    if not settings.mongodb_url:
        raise RuntimeError("CARDGRAPH_MONGODB_URL is not set and no embedded server runs")
    return settings.mongodb_url


def create_async_client(
    settings: Settings, event_listeners: Sequence[monitoring.CommandListener] = ()
) -> AsyncMongoClient[Document]:
    """Create an async client (an API or worker process); one per event loop. Listeners see
    every command (tests count round trips with one)."""
    return AsyncMongoClient(
        mongodb_url(settings), event_listeners=list(event_listeners), **_client_options(settings)
    )


async def insert_in_order(collection: AsyncCollection[Document], documents: list[Document]) -> int:
    """Insert documents in order, in one round trip; how many went in before a duplicate key
    (a unique index refusing one) stopped the rest."""
    try:
        await collection.insert_many(documents, ordered=True)
    except BulkWriteError as error:
        if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", ())):
            raise
        return int(error.details["nInserted"])
    return len(documents)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Create every index the repositories rely on (idempotent)."""
    # An unreachable server fails within the connect timeout (start-up goes on without it) ...
    with pymongo.timeout(db.client.options.pool_options.connect_timeout):
        await db.command("ping")
    # ... while building an index over a large collection may outlast a request's timeout.
    with pymongo.timeout(INDEX_BUILD_TIMEOUT_S):
        await _ensure_indexes(db)


async def _ensure_indexes(db: AsyncDatabase[Document]) -> None:
    for collection, indexes in INDEXES.items():
        await db[collection].create_indexes(indexes)
    for collection, names in OBSOLETE_INDEXES.items():
        existing = await db[collection].index_information()
        for name in names:
            if name in existing:
                await db[collection].drop_index(name)
