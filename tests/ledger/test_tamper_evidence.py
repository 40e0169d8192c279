"""Tamper evidence: each kind of direct database edit is caught by verifyCard, and the first
bad record is named. A forger who recomputes every hash is caught by the signed checkpoint;
one who also removes the checkpoint, by a checkpoint kept outside the database."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cardgraph.hashing import canonical_json
from cardgraph.ledger.records import status_sha256
from tests.support.cards_api import create_card, set_status, update_content
from tests.support.factories import custom_details
from tests.support.forgery import Forger
from tests.support.servers import GraphQLClient

VERIFY = """query($n: String!, $c: JSON) { verifyCard(name: $n, checkpoint: $c) {
  valid versionsChecked auditEventsChecked checkpointsChecked firstInvalidVersion
  firstInvalidRecord reason findings { record reason version } } }"""
CHECKPOINT = """query($n: String!) { card(name: $n) { checkpoint {
  versions events versionSha256 eventSha256 keyId signature document } } }"""


def _verify(client: GraphQLClient, name: str, kept: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = client.data(VERIFY, {"n": name, "c": kept})["verifyCard"]
    return result


def _records(result: dict[str, Any]) -> list[str]:
    return [f"{f['record']}: {f['reason']}" for f in result["findings"]]


@pytest.fixture
def history(editor: GraphQLClient, approver: GraphQLClient, card_name: str) -> str:
    """A card with four versions, the last approved (eight audit events)."""
    create_card(editor, card_name, {"model_overview": {"model_description": "v1"}})
    for i in range(2, 5):
        update_content(editor, card_name, custom_details(i=str(i)))
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    clean = _verify(editor, card_name)
    assert clean["valid"] is True, clean
    assert (clean["versionsChecked"], clean["auditEventsChecked"]) == (4, 6)
    assert clean["checkpointsChecked"] == 1
    return card_name


def test_edited_content_of_a_middle_version(editor: GraphQLClient, db: Any, history: str) -> None:
    Forger(db, history).set_version(2, content_json='{"model_overview":{"model_name":"x"}}')
    result = _verify(editor, history)
    assert (result["valid"], result["firstInvalidVersion"]) == (False, 2)
    assert result["firstInvalidRecord"] == "version 2"
    assert result["reason"] == "the content does not match its SHA-256"


def test_latest_version_rewritten_with_its_hashes_recomputed(
    editor: GraphQLClient, db: Any, history: str
) -> None:
    Forger(db, history).rewrite_content(4, custom_details(i="forged"))
    result = _verify(editor, history)
    assert result["firstInvalidRecord"] == "version 4"
    assert result["reason"] == "differs from what its audit event recorded"
    assert "the card's checkpoint: version 4 was rewritten after" in " ".join(_records(result))


def test_middle_version_rewritten_with_the_chain_recomputed_to_the_head(
    editor: GraphQLClient, db: Any, history: str
) -> None:
    Forger(db, history).rewrite_content(2, custom_details(i="forged"))
    result = _verify(editor, history)
    assert (result["firstInvalidVersion"], result["firstInvalidRecord"]) == (2, "version 2")
    # Every version after it changed too: each disagrees with its own audit event.
    assert [f["version"] for f in result["findings"][:3]] == [2, 3, 4]


def test_status_forged_from_draft_to_approved_with_a_forged_history(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    update_content(editor, card_name, custom_details(i="1"))
    forger = Forger(db, card_name)
    version = forger.version(2)
    first = version["status_history"][0]
    forged = [
        first,
        {**first, "from": "DRAFT", "to": "PENDING_REVIEW", "by": "apikey:test-approver"},
        {**first, "from": "PENDING_REVIEW", "to": "APPROVED", "by": "apikey:test-approver"},
    ]
    forger.set_version(2, status_history=forged, status="APPROVED")
    forger.rehash_versions_from(2)
    forger.db.cards.update_one({"_id": forger.card_id}, {"$set": {"status": "APPROVED"}})
    result = _verify(editor, card_name)
    assert result["firstInvalidRecord"] == "version 2"
    assert _records(result)[:2] == [
        "version 2: its status change DRAFT → PENDING_REVIEW has no audit event",
        "version 2: its status change PENDING_REVIEW → APPROVED has no audit event",
    ]


def test_status_field_forged_without_touching_the_history(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    Forger(db, card_name).set_version(1, status="APPROVED")
    result = _verify(editor, card_name)
    assert result["reason"] == "its status is APPROVED, but its last status change is to DRAFT"


def test_an_approval_removed_from_the_history(editor: GraphQLClient, db: Any, history: str) -> None:
    forger = Forger(db, history)
    version = forger.version(4)
    forger.set_version(4, status_history=version["status_history"][:2], status="PENDING_REVIEW")
    forger.rehash_versions_from(4)
    result = _verify(editor, history)
    assert any(
        "records a status change of version 4 to APPROVED that the version does not have" in r
        for r in _records(result)
    ), result


def test_deletion_of_the_latest_version(editor: GraphQLClient, db: Any, history: str) -> None:
    forger = Forger(db, history)
    db.card_versions.delete_one({"_id": f"{forger.card_id}:4"})
    db.cards.update_one({"_id": forger.card_id}, {"$set": {"latest_version": 3}})
    result = _verify(editor, history)
    assert result["valid"] is False
    found = _records(result)
    assert any(
        r.startswith("audit event 4: records version 4, which does not exist") for r in found
    )
    assert any("only 3 exist: versions were deleted" in r for r in found), found


def test_deletion_of_the_last_audit_event(editor: GraphQLClient, db: Any, history: str) -> None:
    Forger(db, history).delete_last_event()  # the approval's event
    result = _verify(editor, history)
    found = _records(result)
    assert found[0] == "version 4: its status change PENDING_REVIEW → APPROVED has no audit event"
    assert any("signed 6 audit event(s); only 5 exist: events were deleted" in r for r in found)


@pytest.mark.parametrize(
    ("field", "value"), [("created_by", "apikey:someone-else"), ("source", "autopopulate")]
)
def test_who_and_source_edited(
    editor: GraphQLClient, db: Any, history: str, field: str, value: str
) -> None:
    forger = Forger(db, history)
    forger.set_version(3, **{field: value})
    edited = _verify(editor, history)
    assert edited["firstInvalidRecord"] == "version 3"
    assert edited["reason"].startswith("the chain hash does not match its record")
    # Recomputed from there on (the creation's status entry too): the audit event still says
    # who wrote it, and how.
    if field == "created_by":
        forger.set_version(3, **{"status_history.0.by": value})
    forger.rehash_versions_from(3)
    forger.rebind_events()
    rehashed = _verify(editor, history)
    assert rehashed["firstInvalidRecord"] == "version 3"
    assert rehashed["reason"] == "its author or source differs from its audit event"


def test_an_edited_audit_event(editor: GraphQLClient, db: Any, history: str) -> None:
    db.audit_events.update_one(
        {"chain": history, "sequence": 6}, {"$set": {"actor": "apikey:someone-else"}}
    )
    result = _verify(editor, history)
    assert result["firstInvalidRecord"] == "audit event 6"


def test_a_rewrite_consistent_everywhere_is_caught_by_the_signed_checkpoint(
    editor: GraphQLClient, db: Any, history: str
) -> None:
    kept = editor.data(CHECKPOINT, {"n": history})["card"]["checkpoint"]["document"]
    forger = Forger(db, history)
    forger.rewrite_content(2, custom_details(i="forged"))
    forger.rebind_events()
    result = _verify(editor, history)
    # Versions and audit events agree with each other now; the signature holds the old head.
    assert [f["record"] for f in result["findings"]] == [
        "the card's checkpoint",
        "the card's checkpoint",
    ]
    assert result["findings"][0]["reason"].startswith("version 4 was rewritten after")
    assert result["findings"][1]["reason"].startswith("audit event 6 was rewritten after")

    # The forger cannot sign a new checkpoint; removing it is itself a finding...
    forger.set_checkpoint(None)
    removed = _verify(editor, history)
    assert _records(removed) == [
        "the card's checkpoint: is missing: it was deleted, or the card's last write stopped "
        "before signing"
    ]
    # ...and a checkpoint kept outside the database shows what was rewritten.
    with_kept = _verify(editor, history, kept)
    assert with_kept["checkpointsChecked"] == 1
    given = [f["reason"] for f in with_kept["findings"] if f["record"] == "the given checkpoint"]
    assert [reason.split(" after ")[0] for reason in given] == [
        "version 4 was rewritten",
        "audit event 6 was rewritten",
    ]


def test_a_checkpoint_signed_with_another_key(editor: GraphQLClient, db: Any, history: str) -> None:
    forger = Forger(db, history)
    stored = dict(forger.card_doc_checkpoint())
    key = Ed25519PrivateKey.generate()
    body = {k: v for k, v in stored.items() if k not in ("algorithm", "signature")}
    stored["signature"] = base64.b64encode(key.sign(canonical_json(body).encode())).decode()
    forger.set_checkpoint(stored)
    result = _verify(editor, history)
    assert _records(result) == [
        "the card's checkpoint: its signature does not verify with the service's public key"
    ]


def test_a_kept_checkpoint_must_be_well_formed(editor: GraphQLClient, history: str) -> None:
    error = editor.error(VERIFY, {"n": history, "c": {"scheme": "cardgraph-checkpoint/1"}})
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["fields"][0]["path"] == "checkpoint"


def test_an_honest_history_with_a_kept_checkpoint_is_valid(
    editor: GraphQLClient, history: str
) -> None:
    kept = editor.data(CHECKPOINT, {"n": history})["card"]["checkpoint"]
    update_content(editor, history, custom_details(i="later"))
    result = _verify(editor, history, kept["document"])
    assert (result["valid"], result["checkpointsChecked"]) == (True, 2)


def _forged_approval(forger: Forger, number: int, **marks: Any) -> None:
    """An approval appended to a version's history with its hash computed honestly."""
    version = forger.version(number)
    history = version["status_history"]
    last = history[-1]
    change = {**last, "from": last["to"], "to": "APPROVED", "by": "apikey:alice", **marks}
    change["sha256"] = status_sha256(
        card_id=forger.card_id,
        number=number,
        content_sha256=version["content_sha256"],
        previous_sha256=last["sha256"],
        from_status=change["from"],
        to_status="APPROVED",
        changed_by="apikey:alice",
        changed_at=change["at"],
    )
    forger.set_version(
        number,
        status_history=[*history, change],
        status="APPROVED",
        status_sha256=change["sha256"],
    )


def test_an_approval_marked_migrated_on_a_card_never_migrated(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    forger = Forger(db, card_name)
    _forged_approval(forger, 1, migrated=True)
    db.cards.update_one({"_id": forger.card_id}, {"$set": {"status": "APPROVED"}})
    result = _verify(editor, card_name)
    assert _records(result)[0] == (
        "version 1: has status changes marked migrated, but no migration record vouches for them"
    )


def test_a_migration_record_appended_by_a_forger(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    """A fake migrateLedger event vouching for a million versions, so that forged versions
    would need no creation event: it is not the migration's, nor the card's first."""
    create_card(editor, card_name, {})
    forger = Forger(db, card_name)
    last = forger.events()[-1]
    fake = {
        **last,
        "_id": last["_id"] + "-fake",
        "sequence": last["sequence"] + 1,
        "operation": "migrateLedger",
        "actor": "system:ledger-migration",
        "details": {"cardId": forger.card_id, "versions": 10**6, "digest": "0" * 64},
    }
    db.audit_events.insert_one(fake)
    forger.rehash_events()
    found = _records(_verify(editor, card_name))
    assert any("is a migration record after the card's ledger began" in r for r in found), found


def test_history_appended_after_the_signed_head(
    editor: GraphQLClient, db: Any, history: str
) -> None:
    """An approval added with its own audit event, all hashes honest: no checkpoint signs it."""
    forger = Forger(db, history)
    kept = forger.card_doc_checkpoint()
    set_status(editor, history, "ARCHIVED")  # a genuine write, then its checkpoint put back
    forger.set_checkpoint(kept)
    found = _records(_verify(editor, history))
    assert any("(setCardStatus) about this card came after it, unsigned" in r for r in found)


def test_a_forged_status_on_the_card_summary(
    editor: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    forger = Forger(db, card_name)
    db.cards.update_one({"_id": forger.card_id}, {"$set": {"status": "APPROVED"}})
    result = _verify(editor, card_name)
    # The API may serve the cached summary; verifyCard reads the stored one.
    assert "card: its summary shows version 1 as latest, APPROVED" in " ".join(_records(result))


def test_a_deleted_card_brought_back(
    editor: GraphQLClient, admin: GraphQLClient, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    card_id = db.cards.find_one({"live_name": card_name})["_id"]
    admin.data("mutation($name: String!) { deleteCard(name: $name) }", {"name": card_name})
    db.cards.update_one({"_id": card_id}, {"$set": {"deleted": False, "live_name": card_name}})
    found = _records(_verify(editor, card_name))
    assert any("records that this card was deleted; the card is not" in r for r in found), found


def test_malformed_stored_values_are_findings_not_errors(
    editor: GraphQLClient, db: Any, history: str
) -> None:
    where = {"chain": history, "sequence": 3}
    kept = db.audit_events.find_one(where)["details"]
    db.audit_events.update_one(where, {"$set": {"details": ["not", "an", "object"]}})
    try:
        found = _records(_verify(editor, history))
    finally:  # other tests read the newest events of every card
        db.audit_events.update_one(where, {"$set": {"details": kept}})
    assert "audit event 3: (updateCardContent) does not match its hash or link" in found
    assert "version 3: no audit event records its creation" in found
