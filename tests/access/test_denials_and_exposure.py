"""Denied attempts leave a trace; job inputs, uploads and configuration stay private."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import NoCredentialsError

from cardgraph.aws.errors import run_aws
from cardgraph.errors import ConfigurationError
from cardgraph.principals import Role
from tests.support.cards_api import create_card, set_status
from tests.support.factories import risk_rated
from tests.support.jobs_api import JOB_FIELDS, upload_metrics, wait_for_job
from tests.support.servers import GraphQLClient
from tests.support.workers import WorkerProcess

AUDIT = """query($card: String) { auditEvents(card: $card, first: 50) {
  edges { node { operation actor role details } } } }"""
VERIFY = "query($n: String!) { verifyCard(name: $n) { valid } }"
SET_STATUS = """mutation($n: String!, $s: CardStatus!) {
  setCardStatus(input: {name: $n, status: $s}) { status } }"""
INGEST = f"""mutation($input: IngestMetricsInput!) {{
  ingestMetrics(input: $input) {{ {JOB_FIELDS} }} }}"""
PRIVATE = b'{"secret": "uploaded by the editor"}'
JOB_INPUT = "query($id: ID!) { job(id: $id) { input } }"


def _denials(approver: GraphQLClient, card: str) -> list[dict[str, Any]]:
    edges = approver.data(AUDIT, {"card": card})["auditEvents"]["edges"]
    return [e["node"] for e in edges if e["node"]["operation"] == "denied"]


def test_denied_attempts_are_audited_with_their_reason(
    clients: dict[Role, GraphQLClient], card_name: str
) -> None:
    editor, approver = clients[Role.EDITOR], clients[Role.APPROVER]
    create_card(editor, card_name, risk_rated("High"))
    attempts = [
        (clients[Role.READER], "APPROVED", "FORBIDDEN"),  # below the field's minimum role
        (editor, "APPROVED", "FORBIDDEN"),  # only approvers approve
        (editor, "DRAFT", "INVALID_TRANSITION"),
    ]
    for client, status, code in attempts:
        error = client.error(SET_STATUS, {"n": card_name, "s": status})
        assert error["extensions"]["code"] == code
    set_status(editor, card_name, "PENDING_REVIEW")
    error = approver.error(SET_STATUS, {"n": card_name, "s": "APPROVED"})
    assert error["extensions"]["code"] == "POLICY_VIOLATION"  # High risk without evidence
    denials = sorted(
        (d["role"], d["details"]["code"], d["details"]["status"])
        for d in _denials(approver, card_name)
    )
    assert denials == [
        ("APPROVER", "POLICY_VIOLATION", "APPROVED"),
        ("EDITOR", "FORBIDDEN", "APPROVED"),
        ("EDITOR", "INVALID_TRANSITION", "DRAFT"),
        ("READER", "FORBIDDEN", "APPROVED"),
    ]
    assert all(d["details"]["attempted"] == "setCardStatus" for d in _denials(approver, card_name))
    assert approver.data(VERIFY, {"n": card_name})["verifyCard"]["valid"] is True


def test_anonymous_and_badly_keyed_traffic_writes_nothing_to_the_log(
    api_url: str, db: Any, card_name: str
) -> None:
    # Tests run one at a time: no other request is refused meanwhile (workers and beat
    # write other events, which this does not count).
    traces = {"$or": [{"operation": "denied"}, {"card_name": card_name}]}
    before = db.audit_events.count_documents(traces)
    for headers in ({}, {"Authorization": "Bearer cg_0123456789abcdef_not-a-secret"}):
        for _ in range(10):
            response = httpx.post(
                f"{api_url}/graphql",
                json={"query": SET_STATUS, "variables": {"n": card_name, "s": "APPROVED"}},
                headers=headers,
            )
            assert response.status_code == 401
    assert db.audit_events.count_documents(traces) == before


def test_a_failed_job_is_audited(
    clients: dict[Role, GraphQLClient], worker: WorkerProcess, card_name: str
) -> None:
    editor, approver = clients[Role.EDITOR], clients[Role.APPROVER]
    create_card(editor, card_name, {})
    job = editor.data(
        INGEST,
        {
            "input": {
                "name": card_name,
                "evaluationName": "missing",
                "s3Uri": "s3://metrics/no/such/file.json",
                "metricType": "MODEL_CARD_METRIC_SCHEMA",
            }
        },
    )["ingestMetrics"]
    assert wait_for_job(editor, job["id"])["state"] == "FAILED"
    # The worker stores FAILED, announces it, then audits it: the event follows the state.
    deadline = time.monotonic() + 30
    while not (failures := _job_failures(approver, card_name)):
        assert time.monotonic() < deadline, "the failed job was never audited"
        time.sleep(0.1)
    assert len(failures) == 1
    assert failures[0]["details"]["jobId"] == job["id"]
    assert failures[0]["details"]["code"] == "NOT_FOUND"


def _job_failures(approver: GraphQLClient, card_name: str) -> list[dict[str, Any]]:
    edges = approver.data(AUDIT, {"card": card_name})["auditEvents"]["edges"]
    return [e["node"] for e in edges if e["node"]["operation"] == "jobFailed"]


def test_job_inputs_and_uploads_are_for_the_requester_and_reviewers(
    api_url: str, keys: dict[Role, str], clients: dict[Role, GraphQLClient], card_name: str
) -> None:
    editor = clients[Role.EDITOR]
    create_card(editor, card_name, {})
    response = upload_metrics(
        api_url, keys[Role.EDITOR], card_name, PRIVATE, metric_type="MODEL_CARD_METRIC_SCHEMA"
    )
    assert response.status_code == 200, response.text
    job_id = response.json()["data"]["ingestMetricsFile"]["id"]
    upload = editor.data(JOB_INPUT, {"id": job_id})["job"]["input"]["upload"]
    with GraphQLClient(api_url, None) as anonymous:
        assert anonymous.http.get(f"/artifacts/{upload['artifactId']}").status_code == 401
    for role, visible in [
        (Role.READER, False),
        (Role.EDITOR, True),
        (Role.APPROVER, True),
        (Role.ADMIN, True),
    ]:
        seen = clients[role].data(JOB_INPUT, {"id": job_id})["job"]["input"]
        assert (seen is not None) is visible, role
        download = clients[role].http.get(f"/artifacts/{upload['artifactId']}")
        assert download.status_code == (200 if visible else 404), role
        if visible:
            assert b"uploaded by the editor" in download.content


def test_another_editor_sees_neither_input_nor_upload(
    api_url: str, keys: dict[Role, str], admin: GraphQLClient, card_name: str
) -> None:
    created = admin.data(
        'mutation { createApiKey(name: "other-editor", role: EDITOR) { secret } }'
    )["createApiKey"]
    with GraphQLClient(api_url, created["secret"]) as other:
        create_card(other, card_name, {})
        response = upload_metrics(
            api_url, keys[Role.EDITOR], card_name, PRIVATE, metric_type="MODEL_CARD_METRIC_SCHEMA"
        )
        job_id = response.json()["data"]["ingestMetricsFile"]["id"]
        assert other.data(JOB_INPUT, {"id": job_id})["job"]["input"] is None


def test_the_same_file_uploaded_by_two_editors_is_each_ones_own(
    api_url: str, keys: dict[Role, str], admin: GraphQLClient, card_name: str
) -> None:
    same = b'{"secret": "the same bytes, %s"}' % card_name.encode()
    created = admin.data(
        'mutation { createApiKey(name: "second-uploader", role: EDITOR) { secret } }'
    )["createApiKey"]
    uploads = []
    with GraphQLClient(api_url, created["secret"]) as second:
        create_card(second, card_name, {})
        for key, client in ((keys[Role.EDITOR], None), (created["secret"], second)):
            response = upload_metrics(
                api_url, key, card_name, same, metric_type="MODEL_CARD_METRIC_SCHEMA"
            )
            assert response.status_code == 200, response.text
            job_id = response.json()["data"]["ingestMetricsFile"]["id"]
            with GraphQLClient(api_url, key) as uploader:
                upload = uploader.data(JOB_INPUT, {"id": job_id})["job"]["input"]["upload"]
                download = uploader.http.get(f"/artifacts/{upload['artifactId']}")
            assert download.status_code == 200 and download.content == same, client
            uploads.append(upload["artifactId"])
    assert uploads[0] != uploads[1]


def test_missing_aws_configuration_is_reported_by_code_only() -> None:
    def call() -> None:
        raise NoCredentialsError()

    with pytest.raises(ConfigurationError) as raised:
        asyncio.run(run_aws("S3", call))
    assert raised.value.code == "CONFIGURATION"
    assert "NoCredentials" not in raised.value.message
    assert "Error" not in raised.value.message
