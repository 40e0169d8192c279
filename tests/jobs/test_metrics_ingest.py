"""Metrics ingestion in a real worker, from S3 (moto on loopback) and from uploads."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import boto3
import pytest

from cardgraph.principals import Role
from tests.support.cards_api import create_card, get_card, set_status
from tests.support.factories import risk_rated
from tests.support.jobs_api import JOB_FIELDS, upload_metrics, wait_for_job
from tests.support.paths import METRIC_EXAMPLES
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

EXAMPLES = METRIC_EXAMPLES
INGEST = f"""mutation($input: IngestMetricsInput!) {{
  ingestMetrics(input: $input) {{ {JOB_FIELDS} }} }}"""
FILES = {
    "CLARIFY_BIAS": ("clarify_bias.json", "translated_clarify_bias.json"),
    "CLARIFY_EXPLAINABILITY": ("clarify_explanability.json", "translated_clarify_explanation.json"),
    "BINARY_CLASSIFICATION": (
        "model_monitor_model_quality_binary_classification.json",
        "translated_model_monitor_model_quality_binary_classification.json",
    ),
    "REGRESSION": (
        "model_monitor_model_quality_regression.json",
        "translated_model_monitor_model_quality_regression.json",
    ),
}


@pytest.fixture(scope="module")
def bucket(moto_url: str) -> Any:
    """The allow-listed `metrics` bucket, holding every reference file."""
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="metrics")
    s3.create_bucket(Bucket="not-allowed")
    for raw, _ in FILES.values():
        s3.put_object(
            Bucket="metrics",
            Key=f"ref/{raw}",
            Body=(EXAMPLES / raw).read_bytes(),
            ContentType="binary/octet-stream",
        )
    return s3


def _ingest(
    client: GraphQLClient,
    name: str,
    metric_type: str,
    uri: str,
    evaluation: str = "holdout",
    **extra: Any,
) -> dict[str, Any]:
    variables = {
        "input": {
            "name": name,
            "evaluationName": evaluation,
            "metricType": metric_type,
            "s3Uri": uri,
            **extra,
        }
    }
    job = client.data(INGEST, variables)["ingestMetrics"]
    return wait_for_job(client, job["id"])


def _evaluations(client: GraphQLClient, name: str) -> list[dict[str, Any]]:
    card = get_card(client, name)
    assert card is not None
    evaluations: list[dict[str, Any]] = card["latestVersion"]["contentJson"].get(
        "evaluation_details", []
    )
    return evaluations


@pytest.mark.parametrize("metric_type", list(FILES))
def test_each_file_type_from_s3(
    editor: GraphQLClient, bucket: Any, card_name: str, metric_type: str
) -> None:
    raw, translated = FILES[metric_type]
    create_card(editor, card_name, risk_rated())
    job = _ingest(
        editor,
        card_name,
        metric_type,
        f"s3://metrics/ref/{raw}",
        evaluationJobArn="arn:aws:sagemaker:us-east-1:1:processing-job/x",
        datasets=["s3://data/holdout.csv"],
    )
    assert job["state"] == "SUCCEEDED", job["error"]
    assert job["result"]["version"] == 2
    evaluation = _evaluations(editor, card_name)[0]
    expected = json.loads((EXAMPLES / translated).read_text())["metric_groups"]
    assert evaluation["metric_groups"] == expected
    assert evaluation["evaluation_job_arn"].endswith("processing-job/x")
    assert evaluation["datasets"] == ["s3://data/holdout.csv"]
    head = bucket.head_object(Bucket="metrics", Key=f"ref/{raw}")
    assert evaluation["metadata"]["source_uri"] == f"s3://metrics/ref/{raw}"
    assert evaluation["metadata"]["source_etag"] == head["ETag"].strip('"')
    sha = hashlib.sha256((EXAMPLES / raw).read_bytes()).hexdigest()
    assert evaluation["metadata"]["source_sha256"] == sha == job["result"]["sha256"]
    card = get_card(editor, card_name)
    assert card is not None
    assert card["latestVersion"]["source"] == "METRICS"
    assert card["latestVersion"]["createdBy"] == "apikey:test-editor"


def test_same_name_replaces_and_same_file_adds_nothing(
    editor: GraphQLClient, bucket: Any, card_name: str
) -> None:
    create_card(editor, card_name, {"evaluation_details": [{"name": "other"}]})
    regression = "s3://metrics/ref/model_monitor_model_quality_regression.json"
    bias = "s3://metrics/ref/clarify_bias.json"
    assert _ingest(editor, card_name, "REGRESSION", regression)["result"]["version"] == 2
    assert _ingest(editor, card_name, "CLARIFY_BIAS", bias)["result"]["version"] == 3
    names = [e["name"] for e in _evaluations(editor, card_name)]
    assert names == ["other", "holdout"]  # replaced in place
    assert _evaluations(editor, card_name)[1]["metric_groups"][0]["name"].startswith(
        "post_training_bias_metrics"
    )
    again = _ingest(editor, card_name, "CLARIFY_BIAS", bias)
    assert again["state"] == "SUCCEEDED"
    assert again["result"]["version"] == 3  # identical content: no new version


@pytest.mark.parametrize(
    ("body", "metric_type", "reason"),
    [
        (b"", "REGRESSION", "empty"),
        (b"{ nope", "REGRESSION", "not valid JSON"),
        ((EXAMPLES / "clarify_bias.json").read_bytes(), "REGRESSION", "regression_metrics"),
    ],
)
def test_bad_files_fail_and_change_nothing(
    editor: GraphQLClient, bucket: Any, card_name: str, body: bytes, metric_type: str, reason: str
) -> None:
    key = f"bad/{uuid.uuid4().hex}.json"
    bucket.put_object(Bucket="metrics", Key=key, Body=body)
    create_card(editor, card_name, {})
    job = _ingest(editor, card_name, metric_type, f"s3://metrics/{key}")
    assert job["state"] == "FAILED"
    assert job["error"]["code"] == "VALIDATION_FAILED"
    assert reason in job["error"]["message"]
    card = get_card(editor, card_name)
    assert card is not None and card["versions"]["totalCount"] == 1


def test_oversized_and_missing_objects(
    editor: GraphQLClient, bucket: Any, settings: Any, card_name: str
) -> None:
    bucket.put_object(
        Bucket="metrics", Key="big.json", Body=b" " * (settings.metrics_max_bytes + 1)
    )
    create_card(editor, card_name, {})
    big = _ingest(editor, card_name, "REGRESSION", "s3://metrics/big.json")
    assert big["error"]["code"] == "VALIDATION_FAILED"
    assert "limit" in big["error"]["message"]
    missing = _ingest(editor, card_name, "REGRESSION", "s3://metrics/missing.json")
    assert missing["error"]["code"] == "NOT_FOUND"
    assert "s3://metrics/missing.json" in missing["error"]["message"]


@pytest.mark.parametrize(
    ("uri", "reason"),
    [("s3://not-allowed/x.json", "CARDGRAPH_S3_BUCKETS"), ("http://metrics/x.json", "s3://")],
)
def test_sources_are_checked_before_any_job(
    editor: GraphQLClient, card_name: str, uri: str, reason: str
) -> None:
    create_card(editor, card_name, {})
    error = editor.error(
        INGEST,
        {
            "input": {
                "name": card_name,
                "evaluationName": "e",
                "metricType": "REGRESSION",
                "s3Uri": uri,
            }
        },
    )
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["fields"][0]["path"] == "s3Uri"
    assert reason in error["extensions"]["fields"][0]["reason"]


def test_uploaded_file_for_models_outside_aws(
    editor: GraphQLClient, api_url: str, keys: dict[Role, str], card_name: str
) -> None:
    create_card(editor, card_name, {})
    raw = (EXAMPLES / FILES["BINARY_CLASSIFICATION"][0]).read_bytes()
    response = upload_metrics(api_url, keys[Role.EDITOR], card_name, raw)
    assert response.status_code == 200, response.text
    job = wait_for_job(editor, response.json()["data"]["ingestMetricsFile"]["id"])
    assert job["state"] == "SUCCEEDED", job["error"]
    evaluation = _evaluations(editor, card_name)[0]
    assert evaluation["name"] == "uploaded"
    assert evaluation["metadata"]["source_uri"] == "upload:quality.json"
    assert evaluation["metric_groups"][0]["name"] == "binary_classification_metrics"


def test_readers_cannot_ingest(
    reader: GraphQLClient,
    editor: GraphQLClient,
    api_url: str,
    keys: dict[Role, str],
    card_name: str,
    db: Any,
) -> None:
    create_card(editor, card_name, {})
    error = reader.error(
        INGEST,
        {
            "input": {
                "name": card_name,
                "evaluationName": "e",
                "metricType": "REGRESSION",
                "s3Uri": "s3://metrics/x.json",
            }
        },
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    uploads_before = db.artifacts.count_documents({"key": {"$regex": "^upload:"}})
    response = upload_metrics(api_url, keys[Role.READER], card_name, b'{"regression_metrics": {}}')
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert db.artifacts.count_documents({"key": {"$regex": "^upload:"}}) == uploads_before


def test_archived_cards_refuse_metrics(editor: GraphQLClient, bucket: Any, card_name: str) -> None:
    create_card(editor, card_name, {})
    set_status(editor, card_name, "ARCHIVED")
    job = _ingest(
        editor,
        card_name,
        "REGRESSION",
        "s3://metrics/ref/model_monitor_model_quality_regression.json",
    )
    assert (job["state"], job["error"]["code"]) == ("FAILED", "ARCHIVED")
