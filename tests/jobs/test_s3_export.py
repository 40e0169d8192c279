"""Exports to S3 (a moto server on loopback): artifact store, s3OutputPath, SSE-KMS, presigning."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.jobs_api import EXPORT_PDF, wait_for_job
from tests.support.servers import GraphQLClient, running_api
from tests.support.workers import WorkerProcess

EXPORT_TO_S3 = """mutation($name: String!, $path: String) {
  exportCardPdf(name: $name, s3OutputPath: $path) { id } }"""


@pytest.fixture(scope="module")
def s3_stack(settings: Settings, moto_url: str, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """An API and a worker storing artifacts in S3, on their own broker database."""
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    for bucket in ("cardgraph-artifacts", "exports", "elsewhere"):
        s3.create_bucket(Bucket=bucket)
    kms = boto3.client("kms", endpoint_url=moto_url, region_name="us-east-1")
    key_id = kms.create_key(Description="cards")["KeyMetadata"]["KeyId"]
    assert settings.redis_url is not None
    stack_settings = settings.model_copy(
        update={
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + "/2",
            "port": 0,
            "aws_endpoint_url": moto_url,
            "artifact_bucket": "cardgraph-artifacts",
            "s3_buckets": ("exports",),
        }
    )
    log: Path = tmp_path_factory.mktemp("s3") / "worker.log"
    worker = WorkerProcess(stack_settings, log, concurrency=1)
    try:
        with running_api(stack_settings) as url:
            yield {"url": url, "s3": s3, "kms_key_id": key_id}
    finally:
        worker.stop()


@pytest.fixture
def client(s3_stack: dict[str, Any], keys: dict[Role, str]) -> Iterator[GraphQLClient]:
    """An editor of the S3-backed API."""
    editor = GraphQLClient(s3_stack["url"], keys[Role.EDITOR])
    yield editor
    editor.close()


def test_export_to_s3_with_the_cards_kms_key(
    s3_stack: dict[str, Any], client: GraphQLClient, card_name: str
) -> None:
    s3, key_id = s3_stack["s3"], s3_stack["kms_key_id"]
    created = client.data(
        "mutation($n: String!, $k: String) { createCard(input: {name: $n, kmsKeyId: $k, "
        'contentJson: {intended_uses: {risk_rating: "High"}}}) { number } }',
        {"n": card_name, "k": key_id},
    )
    assert created["createCard"]["number"] == 1
    started = client.data(EXPORT_TO_S3, {"name": card_name, "path": "s3://exports/model-cards"})
    job = wait_for_job(client, started["exportCardPdf"]["id"])
    assert job["state"] == "SUCCEEDED", job["error"]
    result = job["result"]
    copy_key = f"model-cards/{card_name}/{job['id']}.pdf"
    assert result["s3Uri"] == f"s3://exports/{copy_key}"
    copy = s3.get_object(Bucket="exports", Key=copy_key)
    assert copy["ServerSideEncryption"] == "aws:kms"
    assert key_id in copy["SSEKMSKeyId"]
    assert hashlib.sha256(copy["Body"].read()).hexdigest() == result["sha256"]
    stored = s3.head_object(
        Bucket="cardgraph-artifacts", Key=f"cardgraph/artifacts/{result['artifactId']}"
    )
    assert key_id in stored["SSEKMSKeyId"]
    # The download URL is presigned; the API's own route redirects to such a URL.
    download = httpx.get(result["downloadUrl"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == result["sha256"]
    redirect = client.http.get(f"/artifacts/{result['artifactId']}")
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(s3.meta.endpoint_url)
    # Exported again: the render is reused, and its bytes are still copied to the output path.
    again = client.data(EXPORT_TO_S3, {"name": card_name, "path": "s3://exports/model-cards"})
    second = wait_for_job(client, again["exportCardPdf"]["id"])
    assert second["result"]["reused"] is True
    copy_again = s3.get_object(Bucket="exports", Key=f"model-cards/{card_name}/{second['id']}.pdf")
    assert hashlib.sha256(copy_again["Body"].read()).hexdigest() == result["sha256"]


def test_card_without_kms_key_is_not_kms_encrypted(
    s3_stack: dict[str, Any], client: GraphQLClient, card_name: str
) -> None:
    create_card(client, card_name, {})
    started = client.data(EXPORT_PDF, {"name": card_name})
    job = wait_for_job(client, started["exportCardPdf"]["id"])
    assert job["state"] == "SUCCEEDED", job["error"]
    head = s3_stack["s3"].head_object(
        Bucket="cardgraph-artifacts", Key=f"cardgraph/artifacts/{job['result']['artifactId']}"
    )
    assert "SSEKMSKeyId" not in head


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("s3://elsewhere/x", "not in CARDGRAPH_S3_BUCKETS"),
        ("https://exports.s3.amazonaws.com/x", "s3://"),
        ("s3:///x", "no bucket"),
    ],
)
def test_output_paths_are_checked_before_any_job(
    s3_stack: dict[str, Any], client: GraphQLClient, card_name: str, path: str, reason: str
) -> None:
    create_card(client, card_name, {})
    error = client.error(EXPORT_TO_S3, {"name": card_name, "path": path})
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["fields"][0]["path"] == "s3OutputPath"
    assert reason in error["extensions"]["fields"][0]["reason"]
    jobs = client.data(
        "query($n: String!) { jobs(filter: {cardName: $n}) { totalCount } }", {"n": card_name}
    )
    assert jobs["jobs"]["totalCount"] == 0


def test_invalid_kms_key_id_is_rejected(
    s3_stack: dict[str, Any], client: GraphQLClient, card_name: str
) -> None:
    error = client.error(
        'mutation($n: String!) { createCard(input: {name: $n, kmsKeyId: ""}) { number } }',
        {"n": card_name},
    )
    assert error["extensions"]["fields"][0]["path"] == "kmsKeyId"
