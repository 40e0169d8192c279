"""Batch export: one zip with a manifest, parts spread over the worker processes."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import pypdf
import pytest

from cardgraph.principals import Role
from tests.support.cards_api import create_card, set_status, update_content
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

EXPORT = f"""mutation($filter: CardFilter, $format: ExportFormat!) {{
  exportCards(filter: $filter, format: $format) {{ {JOB_FIELDS} }} }}"""


@pytest.fixture(scope="module")
def batch(editor: GraphQLClient) -> dict[str, Any]:
    """Five cards with a shared prefix; two of them HIGH risk, one at version 2."""
    prefix = f"bx{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}-{i}" for i in range(5)]
    for i, name in enumerate(names):
        rating = "High" if i in (1, 3) else "Low"
        create_card(editor, name, {"intended_uses": {"risk_rating": rating}})
    update_content(
        editor,
        names[3],
        {"intended_uses": {"risk_rating": "High"}, "business_details": {"business_problem": "v2"}},
    )
    set_status(editor, names[1], "PENDING_REVIEW")
    return {"prefix": prefix, "names": names}


def _run(client: GraphQLClient, filter_: dict[str, Any], export_format: str) -> dict[str, Any]:
    job = client.data(EXPORT, {"filter": filter_, "format": export_format})["exportCards"]
    assert job["state"] == "QUEUED" and job["kind"] == "EXPORT_CARDS"
    return wait_for_job(client, job["id"], timeout=120)


def _zip(result: dict[str, Any], key: str) -> zipfile.ZipFile:
    response = httpx.get(result["downloadUrl"], headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == result["sha256"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_json_export_of_matching_cards(
    editor: GraphQLClient, keys: dict[Role, str], batch: dict[str, Any]
) -> None:
    job = _run(editor, {"nameContains": batch["prefix"]}, "JSON")
    assert job["state"] == "SUCCEEDED", job
    assert job["result"]["cards"] == 5
    archive = _zip(job["result"], keys[Role.READER])
    manifest = json.loads(archive.read("manifest.json"))
    assert [c["card"] for c in manifest["cards"]] == batch["names"]
    by_card = {c["card"]: c for c in manifest["cards"]}
    assert by_card[batch["names"][3]]["version"] == 2
    assert by_card[batch["names"][1]]["status"] == "PENDING_REVIEW"
    for entry in manifest["cards"]:
        data = archive.read(entry["file"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        document = json.loads(data)
        assert document["ModelCardName"] == entry["card"]
        assert document["ModelCardVersion"] == entry["version"]
        assert json.loads(document["Content"])["intended_uses"]["risk_rating"] in ("High", "Low")
    assert by_card[batch["names"][1]]["file"].endswith("-v1.json")


def test_pdf_export_filtered_by_risk(
    editor: GraphQLClient, keys: dict[Role, str], batch: dict[str, Any], db: Any
) -> None:
    job = _run(editor, {"nameContains": batch["prefix"], "riskRating": ["HIGH"]}, "PDF")
    assert job["state"] == "SUCCEEDED", job
    archive = _zip(job["result"], keys[Role.READER])
    manifest = json.loads(archive.read("manifest.json"))
    assert [c["card"] for c in manifest["cards"]] == [batch["names"][1], batch["names"][3]]
    for entry in manifest["cards"]:
        text = pypdf.PdfReader(io.BytesIO(archive.read(entry["file"]))).pages[0].extract_text()
        assert entry["card"] in text
    # The parts ran as separate tasks (part size 2 here), and reported progress per card.
    stored = db.jobs.find_one({"_id": job["id"]})
    assert stored["parts"]["plan"] == {"parts": 1, "cards": 2}
    assert job["progress"] == 1.0


def test_cards_are_split_into_parts_sent_as_separate_tasks(
    editor: GraphQLClient, batch: dict[str, Any], db: Any
) -> None:
    job = _run(editor, {"nameContains": batch["prefix"]}, "PDF")
    assert job["state"] == "SUCCEEDED", job
    stored = db.jobs.find_one({"_id": job["id"]})
    assert stored["parts"]["plan"] == {"parts": 3, "cards": 5}
    assert sorted(stored["parts"]["entries"]) == ["0", "1", "2"]


def test_nothing_matches_gives_an_empty_manifest(
    editor: GraphQLClient, keys: dict[Role, str]
) -> None:
    job = _run(editor, {"nameContains": "no-card-has-this-name"}, "JSON")
    assert job["state"] == "SUCCEEDED"
    manifest = json.loads(_zip(job["result"], keys[Role.READER]).read("manifest.json"))
    assert manifest["cards"] == []
