"""A stack of its own on the session's servers (a Redis database and a MongoDB database no
other test uses, so only its own workers see its tasks), and Prometheus scrapes of it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from pymongo import MongoClient

from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.paths import METRIC_EXAMPLES
from tests.support.servers import run_async, running_api

METRICS_TOKEN = "test-metrics-token-0123456789"
METRICS_SECRET = SecretStr(METRICS_TOKEN)  # as Settings holds it (model_copy does not convert)
EXAMPLES = METRIC_EXAMPLES
QUALITY_FILE = EXAMPLES / "model_monitor_model_quality_binary_classification.json"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def isolated_settings(settings: Settings, redis_db: int, database: str, **update: Any) -> Settings:
    """The session's settings on Redis database `redis_db` and MongoDB database `database`."""
    assert settings.redis_url is not None
    return settings.model_copy(
        update={
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + f"/{redis_db}",
            "mongodb_database": database,
            "port": 0,
            **update,
        }
    )


@contextmanager
def isolated_api(
    settings: Settings, work: Path, redis_db: int, database: str, **update: Any
) -> Iterator[tuple[Settings, str]]:
    """An API on a stack of its own, with its artifact store under `work`.

    The MongoDB database matters as much as the broker's: a reconciler re-sends the lapsed
    jobs of the database it watches to its own workers, whose store another test's files are
    not in (one database, one deployment).
    """
    data_dir = work / "data"
    data_dir.mkdir()
    stack = isolated_settings(settings, redis_db, database, data_dir=data_dir, **update)
    with running_api(stack) as url:
        yield stack, url


@contextmanager
def database_of(settings: Settings) -> Iterator[Any]:
    """A sync handle on the settings' MongoDB database, to check what is really stored."""
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongodb_url, tz_aware=True)
    try:
        yield client[settings.mongodb_database]
    finally:
        client.close()


def issue_key(settings: Settings, role: Role) -> str:
    """A new API key of `role` in the settings' database."""
    secret: str = run_async(issue_api_key(settings, f"metrics-{role.name.lower()}", role, "tests"))[
        1
    ]
    return secret


def scrape(url: str, token: str | None = METRICS_TOKEN) -> Samples:
    """Every sample of a /metrics page, parsed by prometheus_client's own parser."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 where the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    """Every value `label` takes in the series of `name`."""
    return {
        dict(labels)[label]
        for sample, labels in samples
        if sample == name and label in dict(labels)
    }


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll `check` until it holds (a wait for the system, never a measure of its speed)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"still not true: {what}"
        time.sleep(0.1)
