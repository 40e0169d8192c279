"""Autopopulation from SageMaker (a moto server on loopback) in a real worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
import pytest

from cardgraph.aws.clients import AwsClients
from cardgraph.aws.sagemaker import SageMaker
from cardgraph.settings import Settings
from tests.support.cards_api import create_card, get_card, version_provenance
from tests.support.factories import risk_rated
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.servers import GraphQLClient, serving_http

pytestmark = pytest.mark.usefixtures("worker")

AUTOPOPULATE = f"""mutation($input: AutopopulateCardInput!) {{
  autopopulateCard(input: $input) {{ {JOB_FIELDS} }} }}"""
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"


@pytest.fixture(scope="module")
def sagemaker(moto_url: str) -> dict[str, Any]:
    """A model, a training job and a model package version in moto."""
    client = boto3.client("sagemaker", endpoint_url=moto_url, region_name="us-east-1")
    model = client.create_model(
        ModelName="fraud-model",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/fraud/model.tar.gz"},
    )
    training = client.create_training_job(
        TrainingJobName="fraud-training",
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/fraud/train"}
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://models/fraud"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={"max_depth": "6", "eta": "0.2"},
    )
    client.create_model_package_group(ModelPackageGroupName="fraud")
    package = client.create_model_package(
        ModelPackageGroupName="fraud",
        ModelPackageDescription="fraud v1",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://models/fraud/v1.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    return {
        "client": client,
        "model_arn": model["ModelArn"],
        "training_arn": training["TrainingJobArn"],
        "package_arn": package["ModelPackageArn"],
    }


def _autopopulate(client: GraphQLClient, name: str, **sources: str) -> dict[str, Any]:
    job = client.data(AUTOPOPULATE, {"input": {"name": name, **sources}})["autopopulateCard"]
    return wait_for_job(client, job["id"])


def test_fills_a_card_from_all_three_sources(
    editor: GraphQLClient, sagemaker: dict[str, Any], card_name: str
) -> None:
    create_card(editor, card_name, risk_rated("Medium"))
    job = _autopopulate(
        editor,
        card_name,
        modelName="fraud-model",
        trainingJobName="fraud-training",
        modelPackageArn=sagemaker["package_arn"],
    )
    assert job["state"] == "SUCCEEDED", job["error"]
    assert (job["result"]["version"], job["result"]["changed"]) == (2, True)
    assert job["result"]["conflicts"] == []
    card = get_card(editor, card_name)
    assert card is not None
    assert card["latestVersion"]["source"] == "AUTOPOPULATE"
    content = card["latestVersion"]["contentJson"]
    overview = content["model_overview"]
    assert overview["model_id"] == sagemaker["model_arn"]
    assert overview["model_name"] == "fraud-model"
    # moto answers `Containers: []` beside PrimaryContainer: the primary container is used.
    assert overview["model_artifact"] == ["s3://models/fraud/model.tar.gz"]
    assert overview["inference_environment"] == {"container_image": [IMAGE]}
    details = content["training_details"]["training_job_details"]
    assert details["training_arn"] == sagemaker["training_arn"]
    assert details["training_environment"] == {"container_image": [IMAGE]}
    assert details["training_datasets"] == ["s3://data/fraud/train"]
    assert {"name": "max_depth", "value": "6"} in details["hyper_parameters"]
    package = content["model_package_details"]
    assert package["model_package_arn"] == sagemaker["package_arn"]
    assert package["model_package_group_name"] == "fraud"
    assert package["model_approval_status"] == "PendingManualApproval"
    assert package["inference_specification"]["containers"][0]["image"] == IMAGE
    assert content["intended_uses"] == {"risk_rating": "Medium"}  # untouched
    # Each section says where it came from: the ARN described and when, or the hand of v1.
    provenance = {p["section"]: p for p in version_provenance(editor, card_name, 2)}
    for section, arn in (
        ("model_overview", sagemaker["model_arn"]),
        ("training_details", sagemaker["training_arn"]),
        ("model_package_details", sagemaker["package_arn"]),
    ):
        entry = provenance[section]
        assert (entry["source"], entry["setInVersion"], entry["sagemakerArn"]) == (
            "AUTOPOPULATE",
            2,
            arn,
        )
        assert entry["jobId"] == job["id"]
        assert entry["by"] == "apikey:test-editor"  # the job acts for whoever started it
        described = datetime.fromisoformat(entry["describedAt"])
        assert datetime.fromisoformat(job["createdAt"]) <= described
        assert described <= datetime.fromisoformat(entry["at"])
    assert provenance["intended_uses"]["source"] == "MANUAL"
    assert provenance["intended_uses"]["setInVersion"] == 1


def test_hand_entered_values_win_and_are_reported(
    editor: GraphQLClient, sagemaker: dict[str, Any], card_name: str
) -> None:
    create_card(editor, card_name, {"model_overview": {"model_name": "typed by hand"}})
    job = _autopopulate(editor, card_name, modelName="fraud-model")
    assert job["state"] == "SUCCEEDED", job["error"]
    assert job["result"]["conflicts"] == [
        {"path": "$.model_overview.model_name", "kept": "typed by hand", "proposed": "fraud-model"}
    ]
    card = get_card(editor, card_name)
    assert card is not None
    overview = card["latestVersion"]["contentJson"]["model_overview"]
    assert overview["model_name"] == "typed by hand"
    assert overview["model_id"] == sagemaker["model_arn"]  # empty fields were filled
    again = _autopopulate(editor, card_name, modelName="fraud-model")
    assert (again["result"]["version"], again["result"]["changed"]) == (2, False)


def test_missing_resources_fail_with_not_found(
    editor: GraphQLClient, sagemaker: dict[str, Any], card_name: str
) -> None:
    create_card(editor, card_name, {})
    for sources, named in (
        ({"modelName": "no-such-model"}, "no-such-model"),
        ({"trainingJobName": "no-such-job"}, "no-such-job"),
    ):
        job = _autopopulate(editor, card_name, **sources)
        assert job["state"] == "FAILED"
        assert job["error"]["code"] == "NOT_FOUND", job["error"]
        assert named in job["error"]["message"]
    card = get_card(editor, card_name)
    assert card is not None and card["versions"]["totalCount"] == 1


def test_create_card_can_start_autopopulated(
    editor: GraphQLClient, sagemaker: dict[str, Any], card_name: str
) -> None:
    created = editor.data(
        "mutation($n: String!) { createCard(input: {name: $n, autopopulate: "
        '{modelName: "fraud-model"}}) { number } }',
        {"n": card_name},
    )
    assert created["createCard"]["number"] == 1
    jobs = editor.data(
        "query($n: String!) { card(name: $n) { jobs { edges { node { id kind } } } } }",
        {"n": card_name},
    )["card"]["jobs"]["edges"]
    assert [j["node"]["kind"] for j in jobs] == ["AUTOPOPULATE"]
    done = wait_for_job(editor, jobs[0]["node"]["id"])
    assert done["state"] == "SUCCEEDED", done["error"]
    card = get_card(editor, card_name)
    assert card is not None
    assert (
        card["latestVersion"]["contentJson"]["model_overview"]["model_id"]
        == (sagemaker["model_arn"])
    )


def test_a_source_is_required(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {})
    error = editor.error(AUTOPOPULATE, {"input": {"name": card_name}})
    assert error["extensions"]["code"] == "BAD_REQUEST"
    error = editor.error(
        "mutation($n: String!) { createCard(input: {name: $n, autopopulate: {}}) { number } }",
        {"n": f"{card_name}-x"},
    )
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert get_card(editor, f"{card_name}-x") is None


class _Throttling(BaseHTTPRequestHandler):
    """Answers ThrottlingException twice, then a DescribeModel response."""

    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls += 1
        if type(self).calls <= 2:
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, body = (
                200,
                {
                    "ModelName": "m",
                    "ModelArn": "arn:aws:sagemaker:::model/m",
                    "PrimaryContainer": {"Image": IMAGE},
                    "Containers": [],
                },
            )
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    """A loopback endpoint that throttles the first two calls."""
    _Throttling.calls = 0
    with serving_http(_Throttling) as url:
        yield url


def test_throttling_is_retried_with_backoff(throttling_endpoint: str) -> None:
    settings = Settings(aws_endpoint_url=throttling_endpoint, aws_max_attempts=5)
    described = asyncio.run(SageMaker(AwsClients(settings)).describe_model("m"))
    assert described["ModelArn"] == "arn:aws:sagemaker:::model/m"
    assert _Throttling.calls == 3
