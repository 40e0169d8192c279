"""The audit trail, tamper evidence (verifyCard) and the high-risk approval policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cardgraph.audit.models import audit_event
from cardgraph.audit.repository import AuditRepository
from cardgraph.audit.service import AuditLog
from cardgraph.ledger.check import LedgerCheck
from cardgraph.ledger.facts import Finding
from cardgraph.principals import Principal, Role
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.cards_api import DELETE, SET_STATUS, create_card, set_status, update_content
from tests.support.servers import GraphQLClient, run_async, running_api

AUDIT = """query($card: String, $first: Int, $after: String) {
  auditEvents(card: $card, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { actor role operation cardName version beforeSha256 afterSha256 requestId
                   details sequence eventSha256 } } } }"""
VERIFY = """query($n: String!) { verifyCard(name: $n) {
  valid cardName versionsChecked firstInvalidVersion reason chainSha256
  auditEventsChecked firstInvalidAuditEvent } }"""


def _events(client: GraphQLClient, card: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(AUDIT, {"card": card, "first": 3, "after": after})["auditEvents"]
        events += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return events[::-1]  # oldest first
        after = page["pageInfo"]["endCursor"]


def test_every_mutation_is_audited_with_hashes_and_request_id(
    editor: GraphQLClient, approver: GraphQLClient, admin: GraphQLClient, card_name: str
) -> None:
    v1 = editor.http.post(
        "/graphql",
        headers={"X-Request-Id": "req-create"},
        json={
            "query": "mutation($n: String!) { createCard(input: {name: $n}) { contentSha256 } }",
            "variables": {"n": card_name},
        },
    ).json()["data"]["createCard"]
    v2 = update_content(editor, card_name, {"business_details": {"line_of_business": "retail"}})
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    admin.data(DELETE, {"name": card_name})
    events = _events(approver, card_name)
    assert [(e["operation"], e["actor"], e["role"], e["version"]) for e in events] == [
        ("createCard", "apikey:test-editor", "EDITOR", 1),
        ("updateCardContent", "apikey:test-editor", "EDITOR", 2),
        ("setCardStatus", "apikey:test-editor", "EDITOR", 2),
        ("setCardStatus", "apikey:test-approver", "APPROVER", 2),
        ("deleteCard", "apikey:test-admin", "ADMIN", None),
    ]
    assert events[0]["requestId"] == "req-create"
    assert (events[0]["beforeSha256"], events[0]["afterSha256"]) == (None, v1["contentSha256"])
    assert (events[1]["beforeSha256"], events[1]["afterSha256"]) == (
        v1["contentSha256"],
        v2["contentSha256"],
    )
    assert {k: events[3]["details"][k] for k in ("from", "to")} == {
        "from": "PENDING_REVIEW",
        "to": "APPROVED",
    }
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]


def test_key_management_is_audited(admin: GraphQLClient) -> None:
    created = admin.data(
        'mutation { createApiKey(name: "audited", role: READER) { apiKey { id } } }'
    )["createApiKey"]["apiKey"]["id"]
    admin.data("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": created})
    recent = admin.data(AUDIT, {"first": 20})["auditEvents"]["edges"]
    mine = [e["node"] for e in recent if e["node"]["details"].get("keyId") == created]
    assert [e["operation"] for e in mine] == ["revokeApiKey", "createApiKey"]
    assert all(e["actor"] == "apikey:test-admin" for e in mine)


@pytest.mark.parametrize("role", [Role.READER, Role.EDITOR])
def test_only_approvers_and_admins_read_the_log(
    clients: dict[Role, GraphQLClient], role: Role
) -> None:
    assert clients[role].error(AUDIT, {"first": 1})["extensions"]["code"] == "FORBIDDEN"


def test_verify_finds_a_tampered_audit_event(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    set_status(editor, card_name, "PENDING_REVIEW")
    db.audit_events.update_one(
        {"chain": card_name, "sequence": 2}, {"$set": {"actor": "apikey:someone-else"}}
    )
    result = editor.data(VERIFY, {"n": card_name})["verifyCard"]
    assert result["valid"] is False
    assert result["firstInvalidVersion"] is None
    assert result["firstInvalidAuditEvent"] == 2


HIGH_RISK = {"intended_uses": {"risk_rating": "High"}}


def test_high_risk_needs_evidence_before_approval(
    editor: GraphQLClient, approver: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, HIGH_RISK)
    set_status(editor, card_name, "PENDING_REVIEW")
    error = approver.error(SET_STATUS, {"input": {"name": card_name, "status": "APPROVED"}})
    assert error["extensions"]["code"] == "POLICY_VIOLATION"
    assert {f["path"] for f in error["extensions"]["fields"]} == {
        "$.evaluation_details",
        "$.intended_uses.intended_uses",
    }
    update_content(
        editor,
        card_name,
        {
            "intended_uses": {"risk_rating": "High", "intended_uses": "Scoring payments"},
            "evaluation_details": [{"name": "holdout"}],
        },
    )
    set_status(editor, card_name, "PENDING_REVIEW")
    assert set_status(approver, card_name, "APPROVED")["status"] == "APPROVED"
    direct = approver.error(
        "mutation($n: String!, $c: JSON) { createCard(input: {name: $n, status: APPROVED, "
        "contentJson: $c}) { number } }",
        {"n": f"{card_name}-direct", "c": HIGH_RISK},
    )
    assert direct["extensions"]["code"] == "POLICY_VIOLATION"


@pytest.fixture(scope="module")
def relaxed_api(settings: Settings) -> Iterator[str]:
    """An API process with the high-risk policy relaxed."""
    relaxed = settings.model_copy(update={"policy_high_risk_needs_evidence": False, "port": 0})
    with running_api(relaxed) as url:
        yield url


def test_the_policy_can_be_relaxed(relaxed_api: str, keys: dict[Role, str], card_name: str) -> None:
    client = GraphQLClient(relaxed_api, keys[Role.APPROVER])
    try:
        create_card(client, card_name, HIGH_RISK)
        set_status(client, card_name, "PENDING_REVIEW")
        assert set_status(client, card_name, "APPROVED")["status"] == "APPROVED"
    finally:
        client.close()


def test_appends_after_a_stale_chain_head_go_after_the_real_one(
    settings: Settings, card_name: str
) -> None:
    """Two processes append to one chain: each one's cached head is stale every other time."""
    actor = Principal(key_id="audit-test", name="audit-test", role=Role.ADMIN)

    async def scenario() -> tuple[list[int], int, tuple[Finding, ...]]:
        mongo = [create_async_client(settings) for _ in range(2)]
        logs = [AuditLog(AuditRepository(m[settings.mongodb_database])) for m in mongo]
        sequences: list[int] = []
        try:
            for round_ in range(3):
                for writer, log in enumerate(logs):
                    events = [
                        audit_event(actor, f"op-{round_}-{writer}-{i}", None, card_name=card_name)
                        for i in range(3)
                    ]
                    sequences += [e.sequence for e in await log.record_all(events)]
            # The chain re-hashed as verifyCard does (no card: only the chain is checked).
            check = LedgerCheck("no-card", card_name)
            check.add_events([event async for event in logs[0].chain(card_name)])
            result = check.finish()
        finally:
            for m in mongo:
                await m.close()
        return sequences, result.events, result.findings

    sequences, checked, findings = run_async(scenario())
    assert sequences == list(range(1, 19))
    assert (checked, findings) == (18, ())
