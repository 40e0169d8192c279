"""/metrics of the API and of a worker, scraped over HTTP and read with prometheus_client's
own text parser after real GraphQL requests, sockets and jobs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from cardgraph.embedded import free_port
from cardgraph.monitoring.labels import MAX_OPERATION_NAMES
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.isolated_stack import (
    METRICS_SECRET,
    METRICS_TOKEN,
    QUALITY_FILE,
    isolated_settings,
    issue_key,
    label_values,
    scrape,
    value,
    wait_until,
)
from tests.support.jobs_api import EXPORT_PDF, upload_metrics, wait_for_job
from tests.support.servers import GraphQLClient, running_api
from tests.support.workers import WorkerProcess

OPERATIONS = "cardgraph_graphql_operations_total"
LATENCY_COUNT = "cardgraph_graphql_operation_duration_seconds_count"


@pytest.fixture(scope="module")
def stack(settings: Settings, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """An API and a worker (its metrics on a port of its own) on databases of their own."""
    metered = isolated_settings(
        settings,
        10,
        "cardgraph_metrics",
        metrics_token=METRICS_SECRET,
        worker_metrics_port=free_port(),
    )
    log: Path = tmp_path_factory.mktemp("metrics") / "worker.log"
    worker = WorkerProcess(metered, log, concurrency=2)
    try:
        with running_api(metered) as url:
            yield {
                "settings": metered,
                "url": url,
                "worker_url": f"http://127.0.0.1:{metered.worker_metrics_port}",
                "admin": issue_key(metered, Role.ADMIN),
                "reader": issue_key(metered, Role.READER),
            }
    finally:
        worker.stop()


def test_operations_are_counted_by_name_and_outcome_with_latency(stack: dict[str, Any]) -> None:
    url = stack["url"]
    before = scrape(url)
    with GraphQLClient(url, stack["admin"]) as admin, GraphQLClient(url, stack["reader"]) as reader:
        for _ in range(3):
            admin.data("query WhoAmI { viewer { name } }")
        for _ in range(2):
            admin.data("{ viewer { role } }")
        refused = reader.error(
            'mutation IssueKey { createApiKey(name: "x", role: READER) { secret } }'
        )
        assert refused["extensions"]["code"] == "FORBIDDEN"
        broken = admin.post("query Broken { viewer {")
        assert broken.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    anonymous = httpx.post(f"{url}/graphql", json={"query": "{ viewer { name } }"})
    assert anonymous.status_code == 401
    after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok_query = {"type": "query", "outcome": "ok"}
    assert moved(OPERATIONS, operation="WhoAmI", transport="http", **ok_query) == 3
    assert moved(LATENCY_COUNT, operation="WhoAmI", **ok_query) == 3
    assert moved(OPERATIONS, operation="anonymous", transport="http", **ok_query) == 2
    assert (
        moved(
            OPERATIONS, operation="IssueKey", type="mutation", outcome="FORBIDDEN", transport="http"
        )
        == 1
    )
    # Never parsed: a syntax error, and a request refused before its body was read.
    unparsed = {"operation": "unknown", "type": "unknown", "transport": "http"}
    assert moved(OPERATIONS, outcome="BAD_REQUEST", **unparsed) == 1
    assert moved(OPERATIONS, outcome="UNAUTHENTICATED", **unparsed) == 1
    http = "cardgraph_http_requests_total"
    assert moved(http, route="/graphql", method="POST", status="401") == 1
    assert moved(http, route="/graphql", method="POST", status="200") >= 6
    # A path no route serves is one label, never the path itself.
    httpx.get(f"{url}/no/such/{uuid.uuid4().hex}")
    assert label_values(scrape(url), http, "route") <= {
        "/graphql",
        "/metrics",
        "/healthz",
        "/readyz",
        "/artifacts/{artifact_id}",
        "unmatched",
    }


def test_operation_names_are_capped(settings: Settings) -> None:
    capped = isolated_settings(settings, 10, "cardgraph_metrics", metrics_token=METRICS_SECRET)
    key = issue_key(capped, Role.READER)
    with running_api(capped) as url, GraphQLClient(url, key) as client:
        for index in range(MAX_OPERATION_NAMES + 40):
            client.data(f"query Name{index} {{ viewer {{ role }} }}")
        samples = scrape(url)
    names = label_values(samples, OPERATIONS, "operation")
    assert len(names) == MAX_OPERATION_NAMES + 1  # the first names seen, and "other"
    assert value(
        samples, OPERATIONS, operation="other", type="query", outcome="ok", transport="http"
    ) == (40)


def test_metrics_need_the_token(stack: dict[str, Any], settings: Settings) -> None:
    for url in (stack["url"], stack["worker_url"]):
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": f"Basic {METRICS_TOKEN}"},
            {"Authorization": f"Bearer {stack['admin']}"},  # an API key is not the token
        ):
            response = httpx.get(f"{url}/metrics", headers=headers)
            assert response.status_code == 401, (url, headers)
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Without a token configured, /metrics is closed to everyone.
    with running_api(settings.model_copy(update={"port": 0})) as url:
        response = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 401


def test_jobs_are_counted_by_kind_and_state(stack: dict[str, Any]) -> None:
    url, worker_url = stack["url"], stack["worker_url"]
    api_before, worker_before = scrape(url), scrape(worker_url)
    name = f"metered-{uuid.uuid4().hex[:8]}"
    with GraphQLClient(url, stack["admin"]) as admin:
        create_card(admin, name, {"model_overview": {"model_description": "d" * 1000}})
        pdf = admin.data(EXPORT_PDF, {"name": name})["exportCardPdf"]
        assert wait_for_job(admin, pdf["id"])["state"] == "SUCCEEDED"
        upload = upload_metrics(url, stack["admin"], name, QUALITY_FILE.read_bytes())
        ingest = upload.json()["data"]["ingestMetricsFile"]
        assert wait_for_job(admin, ingest["id"])["state"] == "SUCCEEDED"
        missing = upload_metrics(url, stack["admin"], name, b"not json")
        failed = wait_for_job(admin, missing.json()["data"]["ingestMetricsFile"]["id"])
        assert failed["state"] == "FAILED"
    api_after, worker_after = scrape(url), scrape(worker_url)

    def api_moved(name: str, **labels: str) -> float:
        return value(api_after, name, **labels) - value(api_before, name, **labels)

    def worker_moved(name: str, **labels: str) -> float:
        return value(worker_after, name, **labels) - value(worker_before, name, **labels)

    assert api_moved("cardgraph_jobs_created_total", kind="EXPORT_CARD_PDF") == 1
    assert api_moved("cardgraph_jobs_created_total", kind="INGEST_METRICS") == 2
    # The worker's pool processes report through its one metrics port.
    pdf_done = {"kind": "EXPORT_CARD_PDF", "state": "SUCCEEDED"}
    assert worker_moved("cardgraph_jobs_started_total", kind="EXPORT_CARD_PDF") == 1
    assert worker_moved("cardgraph_jobs_finished_total", **pdf_done) == 1
    assert worker_moved("cardgraph_job_duration_seconds_count", **pdf_done) == 1
    assert worker_moved("cardgraph_job_duration_seconds_sum", **pdf_done) > 0
    assert worker_moved("cardgraph_job_queue_wait_seconds_count", kind="EXPORT_CARD_PDF") == 1
    ingested = {"kind": "INGEST_METRICS"}
    assert worker_moved("cardgraph_jobs_finished_total", state="SUCCEEDED", **ingested) == 1
    assert worker_moved("cardgraph_jobs_finished_total", state="FAILED", **ingested) == 1
    # Nothing is left: no job active, no task waiting.
    for kind in ("EXPORT_CARD_PDF", "INGEST_METRICS"):
        for state in ("QUEUED", "RUNNING"):
            assert value(api_after, "cardgraph_jobs_active", kind=kind, state=state) == 0
    for queue in ("io", "render"):
        assert value(api_after, "cardgraph_queue_depth", queue=queue) == 0
    assert value(api_after, "cardgraph_scrape_source_up", source="redis") == 1
    assert value(api_after, "cardgraph_scrape_source_up", source="mongodb") == 1


def test_waiting_tasks_and_active_jobs_are_counted(settings: Settings) -> None:
    # A queue no worker consumes: the tasks wait where Celery keeps them.
    idle = isolated_settings(settings, 12, "cardgraph_metrics_idle", metrics_token=METRICS_SECRET)
    key = issue_key(idle, Role.ADMIN)
    assert idle.redis_url is not None
    broker = redis.Redis.from_url(idle.redis_url)
    try:
        with running_api(idle) as url, GraphQLClient(url, key) as admin:
            name = f"waiting-{uuid.uuid4().hex[:8]}"
            create_card(admin, name, {})
            before = scrape(url)
            for _ in range(3):
                admin.data(EXPORT_PDF, {"name": name})
            after = scrape(url)
        queued = {"kind": "EXPORT_CARD_PDF", "state": "QUEUED"}
        assert (
            value(after, "cardgraph_queue_depth", queue="render")
            - value(before, "cardgraph_queue_depth", queue="render")
            == 3
        )
        assert (
            value(after, "cardgraph_jobs_active", **queued)
            - value(before, "cardgraph_jobs_active", **queued)
            == 3
        )
    finally:
        broker.delete("render", "io")  # no later worker on this database runs them
        broker.close()


def test_open_sockets_and_subscriptions_are_gauged(stack: dict[str, Any]) -> None:
    url = stack["url"]

    def gauges() -> tuple[float, float]:
        samples = scrape(url)
        return (
            value(samples, "cardgraph_websocket_connections"),
            value(samples, "cardgraph_graphql_subscriptions_active"),
        )

    assert gauges() == (0, 0)
    before = scrape(url)
    stop = asyncio.Event()

    async def subscribe() -> None:
        transport = WebsocketsTransport(
            url=url.replace("http", "ws", 1) + "/graphql",
            init_payload={"Authorization": f"Bearer {stack['admin']}"},
        )
        async with Client(transport=transport) as session:
            events = session.subscribe(gql("subscription Watch { cardEvents { cardName } }"))
            waiting = asyncio.ensure_future(anext(events))
            await asyncio.to_thread(wait_until, lambda: gauges() == (1, 1), "one live subscription")
            waiting.cancel()
            stop.set()

    asyncio.run(subscribe())
    assert stop.is_set()
    wait_until(lambda: gauges() == (0, 0), "the subscription and socket closed")
    after = scrape(url)
    watch = {"operation": "Watch", "type": "subscription", "outcome": "ok", "transport": "ws"}
    assert value(after, OPERATIONS, **watch) - value(before, OPERATIONS, **watch) == 1
