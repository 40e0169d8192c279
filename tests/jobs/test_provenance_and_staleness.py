"""Per-section provenance written by real workers (metrics from S3 in moto, package sync), and
stale cards: a linked model package that changes after approval (a field, a filter, an event)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import boto3
import pytest

from cardgraph.principals import Role
from tests.support.cards_api import create_card, set_status, version_provenance
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.node_clients import NodeProject
from tests.support.packages import package_group
from tests.support.paths import METRIC_EXAMPLES
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

LINK = """mutation($n: String!, $arn: String!) { linkModelPackage(name: $n, modelPackageArn: $arn)
  { name } }"""
SYNC = f"mutation($g: String) {{ syncModelPackages(groupName: $g) {{ {JOB_FIELDS} }} }}"
INGEST = f"""mutation($input: IngestMetricsInput!) {{
  ingestMetrics(input: $input) {{ {JOB_FIELDS} }} }}"""
STALE = """query($n: String!) { card(name: $n) { status latestVersion { number }
  stale { reason since modelPackageArn approvedVersion } } }"""
LIST = """query($f: CardFilter) { cards(filter: $f) { totalCount edges { node { name } } } }"""
VERIFY = "query($n: String!) { verifyCard(name: $n) { valid reason firstInvalidRecord } }"
EVENTS = """subscription($name: String) { cardEvents(name: $name) { kind version status actor } }"""
LOW = {"intended_uses": {"risk_rating": "Low", "intended_uses": "Scoring"}}


@pytest.fixture
def group(moto_url: str) -> dict[str, Any]:
    """A fresh model package group with two versions."""
    return package_group(moto_url)


def _names(client: GraphQLClient, card_filter: dict[str, Any]) -> list[str]:
    cards = client.data(LIST, {"f": card_filter})["cards"]["edges"]
    return [e["node"]["name"] for e in cards]


def test_a_package_change_after_approval_makes_the_card_stale_until_approved_again(
    editor: GraphQLClient,
    approver: GraphQLClient,
    reader: GraphQLClient,
    keys: dict[Role, str],
    api_url: str,
    node_project: NodeProject,
    group: dict[str, Any],
    card_name: str,
) -> None:
    unapproved = f"{card_name}-draft"
    create_card(editor, card_name, LOW)
    create_card(editor, unapproved, LOW)
    editor.data(LINK, {"n": card_name, "arn": group["arns"][0]})  # version 2
    editor.data(LINK, {"n": unapproved, "arn": group["arns"][1]})
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    assert reader.data(STALE, {"n": card_name})["card"]["stale"] is None
    mine = {"nameContains": card_name}
    assert _names(reader, {**mine, "stale": True}) == []

    for arn in group["arns"]:  # both packages change in the registry
        group["client"].update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok"
        )
    # Heard through the official graphql-ws client (Node), as a live UI would.
    operation = json.dumps({"query": EVENTS, "variables": {"name": card_name}})
    ws_url = api_url.replace("http://", "ws://", 1) + "/graphql"
    with node_project.running("subscribe.mjs", ws_url, operation, api_key=keys[Role.READER]) as (
        script
    ):
        script.wait_for("connected")
        time.sleep(0.5)  # let the subscription register before the change
        job = wait_for_job(
            editor, editor.data(SYNC, {"g": group["name"]})["syncModelPackages"]["id"]
        )
        assert job["state"] == "SUCCEEDED", job["error"]
        seen = [script.wait_for("next")["payload"]["data"]["cardEvents"] for _ in range(2)]
    # Noticed as the package is refreshed, before the sync documents it in a new version.
    # Both by the sync job, which acts for whoever started it.
    by = "apikey:test-editor"
    assert seen == [
        {"kind": "CARD_STALE", "version": 2, "status": "APPROVED", "actor": by},
        {"kind": "VERSION_CREATED", "version": 3, "status": "DRAFT", "actor": by},
    ]

    card = reader.data(STALE, {"n": card_name})["card"]
    stale = card["stale"]
    assert stale["modelPackageArn"] == group["arns"][0]
    assert stale["approvedVersion"] == 2
    assert group["arns"][0] in stale["reason"] and "version 2 was approved" in stale["reason"]
    # The card never approved has no approval to contradict.
    assert reader.data(STALE, {"n": unapproved})["card"]["stale"] is None
    assert _names(reader, {**mine, "stale": True}) == [card_name]
    assert _names(reader, {**mine, "stale": False}) == [unapproved]
    assert reader.data(VERIFY, {"n": card_name})["verifyCard"]["valid"] is True

    # What package sync wrote says so, section by section.
    provenance = {p["section"]: p for p in version_provenance(reader, card_name, 3)}
    package = provenance["model_package_details"]
    assert (package["source"], package["setInVersion"]) == ("PACKAGE_SYNC", 3)
    assert package["modelPackageArn"] == group["arns"][0]
    assert package["describedAt"] is not None
    assert provenance["intended_uses"]["setInVersion"] == 1
    assert provenance["intended_uses"]["by"] == "apikey:test-editor"

    # Approving the version that documents the package as it now is clears it.
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    assert reader.data(STALE, {"n": card_name})["card"]["stale"] is None
    assert _names(reader, {**mine, "stale": True}) == []


def test_ingested_metrics_record_the_file_they_came_from(
    editor: GraphQLClient, reader: GraphQLClient, moto_url: str, card_name: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="metrics")
    raw = (METRIC_EXAMPLES / "model_monitor_model_quality_regression.json").read_bytes()
    key = f"provenance/{card_name}.json"
    etag = s3.put_object(Bucket="metrics", Key=key, Body=raw)["ETag"]
    create_card(editor, card_name, LOW)
    variables = {
        "input": {
            "name": card_name,
            "evaluationName": "holdout",
            "metricType": "REGRESSION",
            "s3Uri": f"s3://metrics/{key}",
        }
    }
    job = wait_for_job(editor, editor.data(INGEST, variables)["ingestMetrics"]["id"])
    assert job["state"] == "SUCCEEDED", job["error"]
    provenance = {p["section"]: p for p in version_provenance(reader, card_name, 2)}
    evaluation = provenance["evaluation_details"]
    assert evaluation["source"] == "METRICS"
    assert evaluation["s3Uri"] == f"s3://metrics/{key}"
    assert evaluation["etag"].strip('"') == etag.strip('"')
    assert evaluation["sha256"] == hashlib.sha256(raw).hexdigest()
    assert evaluation["jobId"] == job["id"]
    assert evaluation["recorded"] is True
    hand = provenance["intended_uses"]
    assert (hand["source"], hand["setInVersion"], hand["by"]) == (
        "MANUAL",
        1,
        "apikey:test-editor",
    )
