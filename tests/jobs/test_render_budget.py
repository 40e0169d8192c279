"""A render past its time budget is stopped: the job fails with RENDER_TIMEOUT, the worker goes on.

The stack here has a budget no real render can meet (1 ms), so the outcome does not depend on
the machine's speed; renders within a generous budget succeed everywhere else in the suite
(the session worker keeps the production default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.jobs_api import JOB_FIELDS, export_pdf, wait_for_job
from tests.support.long_card import long_card
from tests.support.servers import GraphQLClient, running_api
from tests.support.workers import WorkerProcess

CHILD_MODULE = b"cardgraph.rendering.pdf_child"
EXPORT_CARDS = f"""mutation($filter: CardFilter, $format: ExportFormat!) {{
  exportCards(filter: $filter, format: $format) {{ {JOB_FIELDS} }} }}"""


def render_processes(group: int) -> list[int]:
    """Live render child processes in a worker's process group."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z" and CHILD_MODULE in cmdline:
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def tight_stack(
    settings: Settings, keys: dict[Role, str], tmp_path_factory: Any
) -> Iterator[dict[str, Any]]:
    """An API and a one-process worker whose renders may take 1 ms, on their own broker."""
    assert settings.redis_url is not None
    tight = settings.model_copy(
        update={
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + "/6",
            "port": 0,
            "render_time_budget_s": 0.001,
        }
    )
    worker = WorkerProcess(tight, tmp_path_factory.mktemp("budget") / "worker.log", concurrency=1)
    try:
        with running_api(tight) as url:
            client = GraphQLClient(url, keys[Role.EDITOR])
            try:
                yield {"client": client, "worker": worker}
            finally:
                client.close()
    finally:
        worker.stop()


def test_a_render_past_its_budget_fails_clearly_and_frees_the_worker(
    tight_stack: dict[str, Any], card_name: str
) -> None:
    client: GraphQLClient = tight_stack["client"]
    worker: WorkerProcess = tight_stack["worker"]
    create_card(client, card_name, long_card(90_000))
    for _ in range(2):  # a second render gets a fresh render process, and the same outcome
        job = export_pdf(client, card_name)
        assert job["state"] == "FAILED"
        assert job["error"]["code"] == "RENDER_TIMEOUT"
        assert "0.001 s budget" in job["error"]["message"]
        assert job["result"] is None
        # The render was stopped, not abandoned: its process is gone.
        assert render_processes(worker.process.pid) == []
    # The worker's only process is free: the next job (no PDF in it) runs and succeeds.
    started = client.data(EXPORT_CARDS, {"filter": {"nameContains": card_name}, "format": "JSON"})
    batch = wait_for_job(client, started["exportCards"]["id"], timeout=120)
    assert batch["state"] == "SUCCEEDED", batch["error"]
    assert worker.process.poll() is None
    assert "RENDER_TIMEOUT" not in json.dumps(batch)
