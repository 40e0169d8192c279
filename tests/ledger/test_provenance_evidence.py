"""Provenance edited directly in the database is caught by verifyCard: what a write read
against its audit event, and every section against the version that set it or the one it
inherits from."""

from __future__ import annotations

from typing import Any

import pytest

from cardgraph.ledger.bundle import verify_bundle
from cardgraph.principals import Principal, Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.forgery import Forger
from tests.support.monitoring import services_with_log
from tests.support.servers import GraphQLClient, run_async

VERIFY = """query($n: String!) { verifyCard(name: $n) {
  valid firstInvalidRecord reason findings { record reason } } }"""
ORIGIN = {"s3Uri": "s3://metrics/q.json", "etag": '"abc"', "sha256": "ab" * 32}
JOB = Principal(key_id="ingest", name="ingest", role=Role.EDITOR, acting_as="apikey:test-editor")


def _verify(client: GraphQLClient, name: str) -> dict[str, Any]:
    result: dict[str, Any] = client.data(VERIFY, {"n": name})["verifyCard"]
    return result


@pytest.fixture
def ingested(settings: Settings, editor: GraphQLClient, card_name: str) -> str:
    """v1 typed by hand; v2 adds an evaluation as a metrics job would (with what it read);
    v3 changes the business details by hand."""
    create_card(editor, card_name, {"intended_uses": {"risk_rating": "Low"}})

    async def write() -> None:
        async with services_with_log(settings) as (services, _):
            cards = services.cards
            v1 = await cards.latest_version(await cards.require_card(card_name))
            evaluated = {**v1.content, "evaluation_details": [{"name": "holdout"}]}
            await cards.update_content(
                card_name, evaluated, JOB, origin={"evaluation_details": ORIGIN}
            )
            await cards.update_content(
                card_name, {**evaluated, "business_details": {"business_problem": "fraud"}}, JOB
            )

    run_async(write())
    clean = _verify(editor, card_name)
    assert clean["valid"] is True, clean
    return card_name


def _provenance(forger: Forger, number: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = forger.version(number)["provenance"]
    return entries


def _edit(forger: Forger, number: int, section: str, **fields: Any) -> None:
    entries = _provenance(forger, number)
    for entry in entries:
        if entry["section"] == section:
            entry.update(fields)
    forger.set_version(number, provenance=entries)


def test_a_forged_origin_is_caught_against_the_audit_event(
    editor: GraphQLClient, db: Any, ingested: str
) -> None:
    forger = Forger(db, ingested)
    forged = {**ORIGIN, "s3Uri": "s3://metrics/another.json"}
    _edit(forger, 2, "evaluation_details", details=forged)
    # Version 3 inherits it: forged there too, consistently with version 2.
    _edit(forger, 3, "evaluation_details", details=forged)
    result = _verify(editor, ingested)
    assert (result["valid"], result["firstInvalidRecord"]) == (False, "version 2")
    assert result["reason"] == (
        "its provenance (what its write read) differs from what its audit event recorded"
    )


def test_an_inherited_section_credited_to_someone_else_is_caught(
    editor: GraphQLClient, db: Any, ingested: str
) -> None:
    forger = Forger(db, ingested)
    _edit(forger, 3, "intended_uses", by="apikey:someone-else")
    result = _verify(editor, ingested)
    assert result["firstInvalidRecord"] == "version 3"
    assert result["reason"] == "the provenance of intended_uses is not the one it had in version 2"


def test_a_section_claimed_by_a_write_that_did_not_change_it_is_caught(
    editor: GraphQLClient, db: Any, ingested: str
) -> None:
    forger = Forger(db, ingested)
    v3 = forger.version(3)
    _edit(
        forger,
        3,
        "evaluation_details",
        version=3,
        by=v3["created_by"],
        at=v3["created_at"],
        source=v3["source"],
        job=None,
        details={},
    )
    result = _verify(editor, ingested)
    assert result["firstInvalidRecord"] == "version 3"
    assert (
        result["reason"] == "the provenance of evaluation_details is not the write of this version"
    )


def test_a_section_left_out_of_the_provenance_is_caught(
    editor: GraphQLClient, db: Any, ingested: str
) -> None:
    forger = Forger(db, ingested)
    entries = [e for e in _provenance(forger, 2) if e["section"] != "intended_uses"]
    forger.set_version(2, provenance=entries)
    result = _verify(editor, ingested)
    assert result["firstInvalidRecord"] == "version 2"
    assert result["reason"] == "its provenance does not name exactly its sections"


def test_a_bundle_with_a_forged_origin_fails_offline(settings: Settings, ingested: str) -> None:
    async def export() -> tuple[dict[str, Any], Any]:
        async with services_with_log(settings) as (services, _):
            card = await services.cards.require_card(ingested)
            bundle = await services.cards.history_bundle(card)
            return bundle, services.cards.checkpoints.verifying_keys

    bundle, keys = run_async(export())
    assert verify_bundle(bundle, keys).valid
    (entry,) = [p for p in bundle["versions"][1]["provenance"] if p["setInVersion"] == 2]
    assert entry["details"] == ORIGIN
    entry["details"] = {**ORIGIN, "sha256": "cd" * 32}
    result = verify_bundle(bundle, keys)
    assert not result.valid
    assert str(result.findings[0]) == (
        "version 2: its provenance (what its write read) differs from what its audit event recorded"
    )
