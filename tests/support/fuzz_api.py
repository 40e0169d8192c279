"""An API process of its own for fuzzing every field, mutations included.

Its own database and broker: the thousands of cards, keys and jobs a fuzz run makes never show
in another test's lists, and its jobs are never run by the session's worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from pymongo import MongoClient

from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card, set_status
from tests.support.fuzz_schema import INTROSPECTION, SchemaModel, merged_introspection
from tests.support.jobs_api import EXPORT_PDF
from tests.support.servers import GraphQLClient, run_async, running_api

# A Redis database no other test uses: the fuzz's job tasks wait there, unread.
FUZZ_REDIS_DB = 13


@dataclass
class FuzzApi:
    """The fuzzed API: its URL, a client per role (None: no key) and ids that exist there."""

    url: str
    settings: Settings
    keys: dict[Role, str]
    clients: dict[Role | None, GraphQLClient]
    known: list[str] = field(default_factory=list)
    model: SchemaModel = field(init=False)
    # Root fields fuzzed with well-typed arguments so far.
    called: set[str] = field(default_factory=set)


@contextmanager
def fuzz_api(settings: Settings) -> Iterator[FuzzApi]:
    """Start the API on a fresh database with a few cards, a job and a spare key in it."""
    assert settings.redis_url is not None
    isolated = settings.model_copy(
        update={
            "mongodb_database": f"fuzz_{uuid.uuid4().hex[:12]}",
            "redis_url": f"{settings.redis_url.rsplit('/', 1)[0]}/{FUZZ_REDIS_DB}",
            "graphql_introspection": True,
            "port": 0,
        }
    )
    keys = {
        role: run_async(issue_api_key(isolated, f"fuzz-{role.name.lower()}", role, "fuzz"))[1]
        for role in Role
    }
    spare, _ = run_async(issue_api_key(isolated, "fuzz-spare", Role.READER, "fuzz"))
    try:
        with running_api(isolated) as url:
            clients: dict[Role | None, GraphQLClient] = {
                role: GraphQLClient(url, key) for role, key in keys.items()
            }
            clients[None] = GraphQLClient(url, None)
            try:
                api = FuzzApi(url, isolated, keys, clients, known=[spare.id])
                _seed(api)
                introspected = [clients[Role.ADMIN].data(q) for q in INTROSPECTION]
                api.model = SchemaModel(merged_introspection(introspected), api.known)
                yield api
            finally:
                for client in clients.values():
                    client.close()
    finally:
        mongo: MongoClient[dict[str, object]] = MongoClient(isolated.mongodb_url)
        mongo.drop_database(isolated.mongodb_database)
        mongo.close()
        broker = redis.Redis.from_url(isolated.redis_url or "")
        broker.flushdb()
        broker.close()


def _seed(api: FuzzApi) -> None:
    """Cards in every status and a job, so fuzzed names and ids sometimes hit something."""
    editor, approver = api.clients[Role.EDITOR], api.clients[Role.APPROVER]
    content = {"intended_uses": {"risk_rating": "Low"}, "model_overview": {"model_name": "m"}}
    for status in ("DRAFT", "PENDING_REVIEW", "APPROVED", "ARCHIVED"):
        name = f"fuzz-{status.lower().replace('_', '-')}"
        version = create_card(editor, name, content)
        api.known += [name, version["contentSha256"]]
        if status in ("PENDING_REVIEW", "APPROVED"):
            set_status(editor, name, "PENDING_REVIEW")
        if status in ("APPROVED", "ARCHIVED"):
            set_status(approver if status == "APPROVED" else editor, name, status)
    job = editor.data(EXPORT_PDF, {"name": "fuzz-draft"})["exportCardPdf"]
    api.known.append(job["id"])
