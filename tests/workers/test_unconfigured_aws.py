"""A worker without AWS credentials fails AWS jobs with CONFIGURATION, never INTERNAL.

Its own stack (a Redis and a MongoDB database no other test uses), so only this worker,
started without any AWS credential, sees these jobs. The instance-metadata lookup is off, as
on a laptop: botocore finds no credentials anywhere and tries no network address.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardgraph.cli import worker_command
from cardgraph.embedded import free_port
from cardgraph.jobs.names import IO_QUEUE
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.isolated_stack import isolated_settings, issue_key
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.servers import GraphQLClient, running_app
from tests.support.workers import worker_env

INGEST = f"""mutation($input: IngestMetricsInput!) {{
  ingestMetrics(input: $input) {{ {JOB_FIELDS} }} }}"""
AUTOPOPULATE = f"""mutation($input: AutopopulateCardInput!) {{
  autopopulateCard(input: $input) {{ {JOB_FIELDS} }} }}"""


# What an operator may have left: no credentials at all, or AWS_PROFILE naming no profile.
MISCONFIGURATIONS = {"no credentials": {}, "missing profile": {"AWS_PROFILE": "nowhere"}}


def _without_aws_credentials(env: dict[str, str], empty: Path, **extra: str) -> dict[str, str]:
    kept = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    return {
        **kept,
        "AWS_SHARED_CREDENTIALS_FILE": str(empty / "credentials"),
        "AWS_CONFIG_FILE": str(empty / "config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


@pytest.fixture(scope="module", params=list(MISCONFIGURATIONS))
def stack(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """The API and an `io` worker that has no usable AWS credentials; an editor client."""
    work = tmp_path_factory.mktemp("no-aws")
    isolated = isolated_settings(
        settings, 14, "cardgraph_no_aws", port=free_port(), data_dir=work / "data"
    )
    log_path = work / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            worker_command(isolated, queues=(IO_QUEUE,)),
            env=_without_aws_credentials(
                worker_env(isolated), work, **MISCONFIGURATIONS[request.param]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the worker did not become ready"
            time.sleep(0.2)
        with running_app(isolated) as (url, _):
            client = GraphQLClient(url, issue_key(isolated, Role.EDITOR))
            yield client, log_path
            client.close()
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait()


def _assert_configuration_failure(job: dict[str, Any]) -> None:
    assert job["state"] == "FAILED", job
    assert job["error"]["code"] == "CONFIGURATION", job["error"]
    assert "credentials" in job["error"]["message"]
    assert "NoCredentials" not in job["error"]["message"]  # botocore's words stay in the log


def test_metrics_from_s3_without_credentials_fail_with_a_coded_error(
    stack: Any, card_name: str
) -> None:
    client, log_path = stack
    create_card(client, card_name)
    job = client.data(
        INGEST,
        {
            "input": {
                "name": card_name,
                "evaluationName": "holdout",
                "metricType": "BINARY_CLASSIFICATION",
                "s3Uri": "s3://metrics/ref/quality.json",
            }
        },
    )["ingestMetrics"]
    _assert_configuration_failure(wait_for_job(client, job["id"]))
    # The cause, for operators: in the worker's log only.
    assert re.search(
        "Unable to locate credentials|profile .* could not be found", log_path.read_text()
    )


def test_autopopulation_without_credentials_fails_with_a_coded_error(
    stack: Any, card_name: str
) -> None:
    client, _ = stack
    create_card(client, card_name)
    job = client.data(AUTOPOPULATE, {"input": {"name": card_name, "modelName": "a-model"}})
    _assert_configuration_failure(wait_for_job(client, job["autopopulateCard"]["id"]))
