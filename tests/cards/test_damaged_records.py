"""Stored records with values no enum knows: a coded DATA_INTEGRITY where they are read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from cardgraph.cli import issue_api_key
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import CARD, create_card
from tests.support.servers import GraphQLClient, run_async

VIEWER = "{ viewer { name } }"


def _code(response: httpx.Response) -> str:
    assert "Traceback" not in response.text
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# --- stored documents with values no enum knows ---------------------------------------------


@contextmanager
def _damaged_copy(
    editor: GraphQLClient, db: Any, card_changes: dict[str, Any], damage: Callable[[Any], None]
) -> Iterator[str]:
    """A copy of a freshly created card under a new name (so no API process has it cached),
    with `card_changes` in its summary and each version document passed through `damage`."""
    original = f"card-{uuid.uuid4().hex[:12]}"
    create_card(editor, original, {"intended_uses": {"risk_rating": "Low"}})
    card = db.cards.find_one({"name": original, "deleted": False})
    copy_id = f"damaged-{uuid.uuid4().hex}"
    name = f"damaged-{uuid.uuid4().hex[:12]}"
    db.cards.insert_one({**card, "_id": copy_id, "name": name, "live_name": name, **card_changes})
    for version in db.card_versions.find({"card_id": card["_id"]}):
        copy = {**version, "_id": f"{copy_id}:{version['number']}", "card_id": copy_id}
        damage(copy)
        db.card_versions.insert_one(copy)
    try:
        yield name
    finally:
        db.cards.delete_one({"_id": copy_id})
        db.card_versions.delete_many({"card_id": copy_id})


@pytest.fixture
def damaged_card(editor: GraphQLClient, db: Any) -> Iterator[str]:
    """A card stored with a version status and a risk rating nobody knows."""
    with _damaged_copy(
        editor, db, {"risk_rating": "Extreme"}, lambda version: version.update(status="BOGUS")
    ) as name:
        yield name


def test_a_stored_unknown_enum_inside_content_is_a_data_integrity_error(
    reader: GraphQLClient, editor: GraphQLClient, db: Any
) -> None:
    def damage(version: Any) -> None:
        version["content_json"] = version["content_json"].replace('"Low"', '"Extreme"')

    query = """query($name: String!) {
      card(name: $name) { name latestVersion { number content { intendedUses { riskRating } } } }
    }"""
    with _damaged_copy(editor, db, {}, damage) as name:
        body = reader.execute(query, {"name": name})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "DATA_INTEGRITY", body
    assert error["path"] == ["card", "latestVersion", "content"]
    assert "Extreme" not in json.dumps(body)


def test_a_stored_unknown_version_status_is_a_coded_data_integrity_error(
    reader: GraphQLClient, damaged_card: str
) -> None:
    body = reader.execute(CARD, {"name": damaged_card})
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"][:2] in (
            ["card", "latestVersion"],
            ["card", "versions"],
            ["card", "riskRating"],
        )
    assert "BOGUS" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_reads_that_do_not_touch_the_damaged_values_still_work(
    reader: GraphQLClient, damaged_card: str
) -> None:
    query = """query($name: String) {
      cards(filter: {nameContains: $name}) { totalCount edges { node { name status } } }
    }"""
    data = reader.data(query, {"name": damaged_card})
    assert data["cards"]["edges"] == [{"node": {"name": damaged_card, "status": "DRAFT"}}]
    body = reader.execute(
        "query($name: String) { cards(filter: {nameContains: $name}) "
        "{ edges { node { name riskRating } } } }",
        {"name": damaged_card},
    )
    assert body["errors"][0]["extensions"]["code"] == "DATA_INTEGRITY"
    assert body["errors"][0]["path"] == ["cards", "edges", 0, "node", "riskRating"]


def test_a_stored_unknown_job_state_is_a_coded_data_integrity_error(
    admin: GraphQLClient, db: Any
) -> None:
    job_id = f"damaged-{uuid.uuid4().hex}"
    doc = db.jobs.find_one({}) or {}
    now = db.client.admin.command("hello")["localTime"]
    db.jobs.insert_one(
        {
            "_id": job_id,
            "kind": "EXPORT_CARD_PDF",
            "state": "LIMBO",
            "input": {},
            "requested_by": "apikey:test-admin",
            "created_at": now,
            "updated_at": now,
            "card_name": doc.get("card_name"),
        }
    )
    try:
        error = admin.error("query($id: ID!) { job(id: $id) { id state } }", {"id": job_id})
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"] == ["job"]
        error = admin.error("{ jobs(first: 100) { edges { node { id } } } }")
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
    finally:
        db.jobs.delete_one({"_id": job_id})
    assert "errors" not in admin.execute("{ jobs(first: 100) { edges { node { id } } } }")


def test_a_stored_unknown_key_role_never_authenticates_and_is_coded_in_lists(
    admin: GraphQLClient, api_url: str, settings: Settings, db: Any
) -> None:
    key, secret = run_async(
        issue_api_key(settings, f"damaged-{uuid.uuid4().hex[:8]}", Role.READER, "tests")
    )
    db.api_keys.update_one({"_id": key.id}, {"$set": {"role": "OVERLORD"}})
    try:
        damaged = GraphQLClient(api_url, secret)
        response = damaged.post(VIEWER)
        damaged.close()
        assert response.status_code == 401, response.text
        assert _code(response) == "UNAUTHENTICATED"
        error = admin.error("{ apiKeys { id role } }")
        assert error["extensions"]["code"] == "DATA_INTEGRITY", error
        assert error["path"] == ["apiKeys"]
    finally:
        db.api_keys.delete_one({"_id": key.id})
    assert "errors" not in admin.execute("{ apiKeys { id role } }")
