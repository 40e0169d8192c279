"""The ledger migration, from a database written by cardgraph before the ledger scheme
(tests/data/ledger_v1_database.json: two cards written by commit dccf377's code, one approved,
with content whose canonical text differs under RFC 8785)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jcs
from bson import json_util

from cardgraph.cli import child_env
from cardgraph.embedded import free_port
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import SET_STATUS, create_card, update_content, version_provenance
from tests.support.forgery import Forger
from tests.support.paths import DATA
from tests.support.servers import GraphQLClient, running_app

DUMP = DATA / "ledger_v1_database.json"
CARD_IDS = ("358a28288276427482859915c3a3e341", "e1a5352d21264826b6501fe1d5e7db77")
NAMES = ("legacy-ledger-card", "legacy-draft-card")
LATEST = "query($n: String!) { card(name: $n) { latestVersion { number contentJson } } }"
VERIFY = """query($n: String!) { verifyCard(name: $n) {
  valid versionsChecked findings { record reason } } }"""
CARD = """query($n: String!) { card(name: $n) { status checkpoint { versions }
  versions(first: 10) { edges { node { number contentJson contentSha256 status
    statusHistory { fromStatus toStatus changedBy changedAt } } } } } }"""
EVENTS = """query($n: String!) { auditEvents(card: $n, first: 20) {
  edges { node { operation details } } } }"""


def _load_legacy(db: Any, edit: Any = None) -> tuple[str, str]:
    """The dump under fresh card ids and names (each test its own, the live names being
    unique); `edit(dump)` first."""
    text = DUMP.read_text()
    suffix = uuid.uuid4().hex[:8]
    renamed = [f"{name}-{suffix}" for name in NAMES]
    for old, new in [*zip(CARD_IDS, [uuid.uuid4().hex for _ in CARD_IDS], strict=True)]:
        text = text.replace(old, new)
    for old, new in zip(NAMES, renamed, strict=True):
        text = text.replace(old, new)
    dump = json_util.loads(text)
    if edit is not None:
        edit(dump)
    for collection, docs in dump.items():
        db[collection].insert_many(docs)
    # Names are hashed into audit events: re-chained under the old rules, as if written so.
    for name in renamed:
        Forger(db, name).rehash_events()
    return renamed[0], renamed[1]


def _migrate(settings: Settings) -> list[str]:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cardgraph")), "migrate-ledger"],
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_cards_written_before_the_ledger_verify_and_read_the_same_after_it(
    settings: Settings, db: Any, approver: GraphQLClient
) -> None:
    approved, draft = _load_legacy(db)
    legacy = {
        doc["number"]: doc
        for doc in db.card_versions.find({"card_id": Forger(db, approved).card_id})
    }
    output = _migrate(settings)
    assert f"{approved}: 2 version(s) migrated; its old chain was intact" in output
    assert f"{draft}: 3 version(s) migrated; its old chain was intact" in output

    for name, versions in ((approved, 2), (draft, 3)):
        result = approver.data(VERIFY, {"n": name})["verifyCard"]
        assert (result["valid"], result["versionsChecked"]) == (True, versions), result
    card = approver.data(CARD, {"n": approved})["card"]
    assert (card["status"], card["checkpoint"]["versions"]) == ("APPROVED", 2)
    nodes = [edge["node"] for edge in card["versions"]["edges"]]
    for node in nodes:
        before = legacy[node["number"]]
        # The same content, now hashed as RFC 8785 text (recomputed by the RFC author's code).
        assert node["contentJson"] == json_util.loads(before["content_json"])
        assert (
            node["contentSha256"]
            == hashlib.sha256(jcs.canonicalize(node["contentJson"])).hexdigest()
        )
        assert [
            (c["fromStatus"], c["toStatus"], c["changedBy"]) for c in node["statusHistory"]
        ] == [(c["from"], c["to"], c["by"]) for c in before["status_history"]]
    # Version 2's text really changed (1e-07 and key order): its old hash is kept beside it.
    assert nodes[1]["contentSha256"] != legacy[2]["content_sha256"]
    stored = Forger(db, approved).version(2)["legacy"]
    assert stored["content_sha256"] == legacy[2]["content_sha256"]

    events = [e["node"] for e in approver.data(EVENTS, {"n": approved})["auditEvents"]["edges"]]
    migration = next(e for e in events if e["operation"] == "migrateLedger")
    assert migration["details"]["legacyHead"] == legacy[2]["chain_sha256"]
    assert migration["details"]["legacyFirstInvalidVersion"] is None
    # A second run finds nothing to do.
    assert _migrate(settings) == []


def test_a_migrated_history_is_tamper_evident_like_any_other(
    settings: Settings, db: Any, approver: GraphQLClient
) -> None:
    approved, _ = _load_legacy(db)
    _migrate(settings)
    forger = Forger(db, approved)
    # The approval, recorded before the ledger, is vouched for by the migration record only.
    version = forger.version(2)
    forger.set_version(2, status_history=version["status_history"][:2], status="PENDING_REVIEW")
    forger.rehash_versions_from(2)
    result = approver.data(VERIFY, {"n": approved})["verifyCard"]
    assert result["valid"] is False
    assert any(
        f["reason"] == "the versions and status changes it vouches for have changed"
        for f in result["findings"]
    ), result


def test_a_history_already_broken_before_the_ledger_is_said_to_be(
    settings: Settings, db: Any, approver: GraphQLClient
) -> None:
    def forge_first_version(dump: dict[str, Any]) -> None:
        card = next(c for c in dump["cards"] if c["name"].startswith(NAMES[0]))
        first = next(
            v for v in dump["card_versions"] if (v["card_id"], v["number"]) == (card["_id"], 1)
        )
        first["content_json"] = '{"model_overview":{"model_description":"forged"}}'

    approved, draft = _load_legacy(db, forge_first_version)
    output = _migrate(settings)
    assert f"{approved}: 2 version(s) migrated; its old chain was already broken at version 1" in (
        output
    )
    assert f"{draft}: 3 version(s) migrated; its old chain was intact" in output
    (event,) = db.audit_events.find({"chain": approved, "operation": "migrateLedger"})
    assert event["details"]["legacyFirstInvalidVersion"] == 1
    # ...and verifyCard keeps saying so: the migration vouched for the history as found.
    result = approver.data(VERIFY, {"n": approved})["verifyCard"]
    assert [f["reason"] for f in result["findings"]] == [
        "says the history before the ledger was already broken at version 1"
    ]


def test_a_ledger_card_marked_old_is_not_migrated_but_reported(
    settings: Settings, db: Any, editor: GraphQLClient, card_name: str
) -> None:
    """Marking a version as written before the ledger would have the migration vouch for
    whatever was forged with it: the migration leaves the card alone, verifyCard names it."""
    create_card(editor, card_name, {})
    Forger(db, card_name).set_version(1, scheme=1)
    output = _migrate(settings)
    assert f"{card_name}: not migrated: it has a signed checkpoint (run verifyCard)" in output
    result = editor.data(VERIFY, {"n": card_name})["verifyCard"]
    assert result["valid"] is False
    assert "before the ledger scheme" in result["findings"][0]["reason"]
    # Nothing is chained after a version of the old scheme: a status change waits for the
    # migration (read from storage; this API's cache still holds the version as written).
    error = editor.error(SET_STATUS, {"input": {"name": card_name, "status": "PENDING_REVIEW"}})
    assert error["extensions"]["code"] == "CONFLICT"
    assert "waiting for the ledger migration" in error["message"]


def test_an_api_started_on_old_data_migrates_it_while_it_serves(
    settings: Settings, db: Any, keys: dict[Role, str]
) -> None:
    """`cardgraph serve` after an upgrade: a replica takes the migration's lock and migrates;
    the lock is released when it is done."""
    approved, draft = _load_legacy(db)
    replica = settings.model_copy(update={"port": free_port()})
    with running_app(replica) as (url, _):
        client = GraphQLClient(url, keys[Role.APPROVER])
        try:
            deadline = time.monotonic() + 60
            while True:
                result = client.data(VERIFY, {"n": draft})["verifyCard"]
                if result["valid"] or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert result["valid"] is True, result
            assert client.data(VERIFY, {"n": approved})["verifyCard"]["valid"] is True
            # A write after the migration: its new section is recorded, the old ones are
            # inferred from the version before provenance was kept, and it all verifies.
            latest = client.data(LATEST, {"n": draft})["card"]["latestVersion"]
            content = {**latest["contentJson"], "business_details": {"business_problem": "new"}}
            written = update_content(client, draft, content)
            provenance = {
                p["section"]: p for p in version_provenance(client, draft, written["number"])
            }
            assert provenance["business_details"]["recorded"] is True
            assert provenance["business_details"]["setInVersion"] == written["number"]
            assert len(provenance) > 1  # sections from before the migration are there too
            assert all(
                not p["recorded"] and p["setInVersion"] == latest["number"]
                for s, p in provenance.items()
                if s != "business_details"
            )
            assert client.data(VERIFY, {"n": draft})["verifyCard"]["valid"] is True
        finally:
            client.close()
    assert db.deployment_secrets.find_one({"_id": "ledger_migration"}) is None
