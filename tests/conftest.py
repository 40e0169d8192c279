"""Session fixtures: the real servers start once; each test gets fresh card names."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from pymongo import MongoClient
from starlette.applications import Starlette

from cardgraph.cli import issue_api_key
from cardgraph.embedded import EmbeddedServer, free_port, start_mongodb, start_redis
from cardgraph.principals import Role
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes
from tests.support.node_clients import NodeProject, prepare_node_project
from tests.support.servers import GraphQLClient, run_async, running_app
from tests.support.workers import WorkerProcess

# The fixtures everything that starts a process hangs from: a test depending on one of them,
# however indirectly, is marked `servers` (`pytest -m "not servers"` runs the rest in seconds).
SERVER_FIXTURES = frozenset({"mongodb_server", "redis_server", "moto_url", "node_project"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a real server, through any chain of fixtures, `servers`."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[EmbeddedServer]:
    """SecantusDB in memory, with fault-injection commands enabled."""
    server = start_mongodb(None, test_commands=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedServer]:
    """Valkey without persistence."""
    server = start_redis(None)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server on loopback standing in for S3, KMS and SageMaker."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def settings(
    mongodb_server: EmbeddedServer,
    redis_server: EmbeddedServer,
    moto_url: str,
    tmp_path_factory: Any,
) -> Settings:
    """Settings pointing at the session's servers, whose database has every index."""
    data_dir: Path = tmp_path_factory.mktemp("cardgraph")
    settings = Settings(
        mongodb_url=mongodb_server.url,
        redis_url=redis_server.url,
        mongodb_database="cardgraph_test",
        data_dir=data_dir,
        mongodb_timeout_ms=2000,
        port=free_port(),
        # Short, so a test can watch a killed worker's job being redelivered.
        broker_visibility_timeout_s=60,
        task_time_limit_s=30,
        export_part_size=2,
        aws_endpoint_url=moto_url,
        s3_buckets=("metrics",),
        package_auto_create_cards=True,
        # Off by default (as `cardgraph serve` runs); the suite walks the schema by introspection.
        graphql_introspection=True,
        graphql_ide=True,
    )
    # As the API and workers do at start: tests using services alone rely on them too.
    run_async(_ensure_indexes(settings))
    return settings


async def _ensure_indexes(settings: Settings) -> None:
    client = create_async_client(settings)
    try:
        await ensure_indexes(client[settings.mongodb_database])
    finally:
        await client.close()


@pytest.fixture(scope="session")
def node_project() -> NodeProject:
    """tests/node (graphql-ws, graphql-http) with its packages installed (`npm ci` if stale)."""
    return prepare_node_project()


@pytest.fixture(scope="session")
def api(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """The API served by uvicorn on loopback for the whole session, and its app object."""
    with running_app(settings) as served:
        yield served


@pytest.fixture(scope="session")
def api_url(api: tuple[str, Starlette]) -> str:
    """Base URL of the session's API."""
    return api[0]


@pytest.fixture(scope="session")
def worker(settings: Settings, api_url: str) -> Iterator[WorkerProcess]:
    """A real Celery worker (two processes) for the whole session."""
    process = WorkerProcess(settings, settings.data_dir / "worker.log")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def keys(settings: Settings, api_url: str) -> dict[Role, str]:
    """One API key per role."""
    return {
        role: run_async(issue_api_key(settings, f"test-{role.name.lower()}", role, "tests"))[1]
        for role in Role
    }


@pytest.fixture(scope="session")
def clients(api_url: str, keys: dict[Role, str]) -> Iterator[dict[Role, GraphQLClient]]:
    """One GraphQL client per role."""
    by_role = {role: GraphQLClient(api_url, key) for role, key in keys.items()}
    yield by_role
    for client in by_role.values():
        client.close()


@pytest.fixture(scope="session")
def admin(clients: dict[Role, GraphQLClient]) -> GraphQLClient:
    """The admin client."""
    return clients[Role.ADMIN]


@pytest.fixture(scope="session")
def approver(clients: dict[Role, GraphQLClient]) -> GraphQLClient:
    """The approver client."""
    return clients[Role.APPROVER]


@pytest.fixture(scope="session")
def editor(clients: dict[Role, GraphQLClient]) -> GraphQLClient:
    """The editor client."""
    return clients[Role.EDITOR]


@pytest.fixture(scope="session")
def reader(clients: dict[Role, GraphQLClient]) -> GraphQLClient:
    """The reader client."""
    return clients[Role.READER]


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Any]:
    """A sync handle on the test database, to check what is really stored."""
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongodb_url, tz_aware=True)
    yield client[settings.mongodb_database]
    client.close()


@pytest.fixture
def card_name() -> str:
    """A card name no other test uses."""
    return f"card-{uuid.uuid4().hex[:12]}"
