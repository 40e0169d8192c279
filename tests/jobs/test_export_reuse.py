"""Reused exports show what is true now: a status change makes new files, equal facts reuse."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
import pypdf
import pytest

from cardgraph.principals import Role
from tests.support.cards_api import create_card, set_status
from tests.support.jobs_api import JOB_FIELDS, export_pdf, wait_for_job
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

EXPORT_CARDS = f"""mutation($filter: CardFilter, $format: ExportFormat!) {{
  exportCards(filter: $filter, format: $format) {{ {JOB_FIELDS} }} }}"""
CONTENT = {"intended_uses": {"risk_rating": "Low", "intended_uses": "Demo"}}


def _get(url: str, key: str) -> bytes:
    response = httpx.get(url, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.content


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _exported_pdf(client: GraphQLClient, name: str, key: str) -> tuple[dict[str, Any], str]:
    job = export_pdf(client, name)
    assert job["state"] == "SUCCEEDED", job["error"]
    return job["result"], _pdf_text(_get(job["result"]["downloadUrl"], key))


def _batch(client: GraphQLClient, name: str, export_format: str, key: str) -> zipfile.ZipFile:
    started = client.data(EXPORT_CARDS, {"filter": {"nameContains": name}, "format": export_format})
    job = wait_for_job(client, started["exportCards"]["id"], timeout=120)
    assert job["state"] == "SUCCEEDED", job["error"]
    return zipfile.ZipFile(io.BytesIO(_get(job["result"]["downloadUrl"], key)))


def test_a_pdf_exported_after_approval_says_approved(
    editor: GraphQLClient, approver: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    first, text = _exported_pdf(editor, card_name, keys[Role.READER])
    assert "Status DRAFT" in text
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    approved, text = _exported_pdf(editor, card_name, keys[Role.READER])
    assert approved["version"] == first["version"] == 1  # a status change makes no version
    assert approved["reused"] is False
    assert approved["artifactId"] != first["artifactId"]
    assert "Status APPROVED" in text and "DRAFT" not in text
    # Nothing changed since: the approved render is the one reused.
    again, text = _exported_pdf(editor, card_name, keys[Role.READER])
    assert again["reused"] is True and again["artifactId"] == approved["artifactId"]
    assert "Status APPROVED" in text
    set_status(editor, card_name, "ARCHIVED")
    archived, text = _exported_pdf(editor, card_name, keys[Role.READER])
    assert archived["reused"] is False and "Status ARCHIVED" in text


def test_batch_json_says_what_its_manifest_says(
    editor: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    for status, sagemaker_status in (("DRAFT", "Draft"), ("ARCHIVED", "Archived")):
        if status != "DRAFT":
            set_status(editor, card_name, status)
        archive = _batch(editor, card_name, "JSON", keys[Role.READER])
        (entry,) = json.loads(archive.read("manifest.json"))["cards"]
        document = json.loads(archive.read(entry["file"]))
        assert entry["status"] == status
        assert document["ModelCardStatus"] == sagemaker_status


def test_batch_pdf_says_the_current_status(
    editor: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    first = _batch(editor, card_name, "PDF", keys[Role.READER])
    (entry,) = json.loads(first.read("manifest.json"))["cards"]
    assert "Status DRAFT" in _pdf_text(first.read(entry["file"]))
    set_status(editor, card_name, "ARCHIVED")
    second = _batch(editor, card_name, "PDF", keys[Role.READER])
    (entry,) = json.loads(second.read("manifest.json"))["cards"]
    assert entry["status"] == "ARCHIVED"
    assert "Status ARCHIVED" in _pdf_text(second.read(entry["file"]))
