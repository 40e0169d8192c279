"""Model packages (moto): one-to-one links, a sync that cards follow, auto-created cards."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from cardgraph.settings import Settings
from tests.support.cards_api import create_card, get_card
from tests.support.factories import risk_rated
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.packages import SPEC, package_group
from tests.support.paths import METRIC_EXAMPLES
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

LINK = """mutation($n: String!, $arn: String!) { linkModelPackage(name: $n, modelPackageArn: $arn) {
  name modelPackage { arn groupName version approvalStatus card { name } } } }"""
SYNC = f"mutation($g: String) {{ syncModelPackages(groupName: $g) {{ {JOB_FIELDS} }} }}"
EXAMPLES = METRIC_EXAMPLES


@pytest.fixture
def group(moto_url: str) -> dict[str, Any]:
    """A fresh model package group with two versions."""
    return package_group(moto_url)


def test_link_is_one_to_one_and_documents_the_package(
    editor: GraphQLClient, group: dict[str, Any], card_name: str
) -> None:
    create_card(editor, card_name, risk_rated())
    linked = editor.data(LINK, {"n": card_name, "arn": group["arns"][0]})["linkModelPackage"]
    assert linked["modelPackage"]["arn"] == group["arns"][0]
    assert linked["modelPackage"]["version"] == 1
    assert linked["modelPackage"]["card"] == {"name": card_name}
    card = get_card(editor, card_name)
    assert card is not None
    assert card["latestVersion"]["source"] == "PACKAGE_SYNC"
    details = card["latestVersion"]["contentJson"]["model_package_details"]
    assert details["model_package_arn"] == group["arns"][0]
    assert details["model_package_description"] == "v1"
    # Another card cannot take the same package version.
    other = f"{card_name}-other"
    create_card(editor, other, {})
    error = editor.error(LINK, {"n": other, "arn": group["arns"][0]})
    assert error["extensions"]["code"] == "CONFLICT"
    assert card_name in error["message"]
    # Relinking the first card frees its old package for the other card.
    editor.data(LINK, {"n": card_name, "arn": group["arns"][1]})
    moved = editor.data(LINK, {"n": other, "arn": group["arns"][0]})["linkModelPackage"]
    assert moved["modelPackage"]["card"] == {"name": other}
    package = editor.data(
        "query($a: String!) { modelPackage(arn: $a) { card { name } } }", {"a": group["arns"][1]}
    )["modelPackage"]
    assert package["card"] == {"name": card_name}


def test_unknown_package_is_not_found(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {})
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/none/1"
    assert editor.error(LINK, {"n": card_name, "arn": arn})["extensions"]["code"] == "NOT_FOUND"


def test_cards_follow_the_registry_after_a_sync(
    editor: GraphQLClient, group: dict[str, Any], card_name: str, db: Any
) -> None:
    create_card(
        editor,
        card_name,
        {
            "intended_uses": {"risk_rating": "High"},
            "business_details": {"business_problem": "fraud"},
        },
    )
    editor.data(LINK, {"n": card_name, "arn": group["arns"][0]})
    group["client"].update_model_package(
        ModelPackageArn=group["arns"][0],
        ModelApprovalStatus="Approved",
        ApprovalDescription="risk review passed",
    )
    job = wait_for_job(editor, editor.data(SYNC, {"g": group["name"]})["syncModelPackages"]["id"])
    assert job["state"] == "SUCCEEDED", job["error"]
    assert job["result"]["packages"] == 2
    assert job["result"]["updatedCards"] == [{"card": card_name, "version": 3}]
    card = get_card(editor, card_name)
    assert card is not None
    latest = card["latestVersion"]
    assert latest["source"] == "PACKAGE_SYNC"
    assert latest["contentJson"]["model_package_details"]["model_approval_status"] == "Approved"
    assert latest["contentJson"]["model_package_details"]["approval_description"] == (
        "risk review passed"
    )
    # Version 2 of the group had no card: it got one, inheriting the newest card's sections.
    (created,) = job["result"]["createdCards"]
    assert created["modelPackageArn"] == group["arns"][1]
    inherited = get_card(editor, created["card"])
    assert inherited is not None
    content = inherited["latestVersion"]["contentJson"]
    assert content["intended_uses"] == {"risk_rating": "High"}
    assert content["business_details"] == {"business_problem": "fraud"}
    assert content["model_package_details"]["model_package_arn"] == group["arns"][1]
    # Nothing changed since: a second sync writes nothing.
    again = wait_for_job(editor, editor.data(SYNC, {"g": group["name"]})["syncModelPackages"]["id"])
    assert (again["result"]["updatedCards"], again["result"]["createdCards"]) == ([], [])


def test_packages_are_listed_by_group(
    editor: GraphQLClient, group: dict[str, Any], card_name: str
) -> None:
    create_card(editor, card_name, {})
    editor.data(LINK, {"n": card_name, "arn": group["arns"][0]})
    listed = editor.data(
        "query($g: String) { modelPackages(groupName: $g) { totalCount edges {"
        " node { arn card { name } } } } }",
        {"g": group["name"]},
    )
    assert listed["modelPackages"]["totalCount"] == 1  # only what was read so far
    assert listed["modelPackages"]["edges"][0]["node"]["card"] == {"name": card_name}


def test_beat_schedules_the_package_sync(settings: Settings) -> None:
    from workers.celery_app import beat_schedule

    schedule = beat_schedule(settings)
    assert schedule["sync-model-packages"]["schedule"] == settings.package_sync_interval_s
    off = beat_schedule(settings.model_copy(update={"package_sync_interval_s": 0}))
    assert "sync-model-packages" not in off


def test_package_metric_reports_become_evaluations(
    editor: GraphQLClient, moto_url: str, card_name: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="metrics")
    report = (EXAMPLES / "model_monitor_model_quality_regression.json").read_bytes()
    s3.put_object(Bucket="metrics", Key="pkg/quality.json", Body=report)
    client = boto3.client("sagemaker", endpoint_url=moto_url, region_name="us-east-1")
    group = f"grp{uuid.uuid4().hex[:8]}"
    client.create_model_package_group(ModelPackageGroupName=group)
    arn = client.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=SPEC,
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": "s3://metrics/pkg/quality.json",
                }
            },
            "Bias": {
                "Report": {"ContentType": "application/json", "S3Uri": "s3://not-allowed/bias.json"}
            },
        },
    )["ModelPackageArn"]
    create_card(editor, card_name, {})
    editor.data(LINK, {"n": card_name, "arn": arn})
    card = get_card(editor, card_name)
    assert card is not None
    evaluations = card["latestVersion"]["contentJson"]["evaluation_details"]
    # The allow-listed report became an evaluation; the other bucket was not read.
    assert [e["name"] for e in evaluations] == ["Model quality report"]
    assert evaluations[0]["metric_groups"][0]["name"] == "regression_metrics"
    assert evaluations[0]["metadata"]["source_uri"] == "s3://metrics/pkg/quality.json"
