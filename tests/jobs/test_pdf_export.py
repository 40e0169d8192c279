"""PDF export in a real worker: the job, the artifact, the download, the text of the PDF."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from cardgraph.cards.sagemaker_schema import CARD_CONTENT, Arr, Map, Obj, Str, Tagged
from cardgraph.principals import Role
from cardgraph.rendering.html import SECTION_TITLES
from tests.support.cards_api import create_card, set_status, update_content
from tests.support.factories import full_card, risk_rated
from tests.support.jobs_api import EXPORT_PDF, export_pdf
from tests.support.servers import GraphQLClient

FULL_CARD: dict[str, Any] = full_card()

pytestmark = pytest.mark.usefixtures("worker")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _download(result: dict[str, Any], key: str) -> bytes:
    response = httpx.get(result["downloadUrl"], headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def test_export_renders_every_section_and_metric(
    editor: GraphQLClient, reader: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    create_card(editor, card_name, risk_rated())
    update_content(editor, card_name, FULL_CARD)
    job = export_pdf(editor, card_name)
    assert job["state"] == "SUCCEEDED", job
    result = job["result"]
    assert (result["cardName"], result["version"]) == (card_name, 2)
    assert job["progress"] == 1.0 and job["attempts"] == 1
    data = _download(result, keys[Role.READER])  # readers may download
    assert hashlib.sha256(data).hexdigest() == result["sha256"]
    assert len(data) == result["size"]
    text = _pdf_text(data)
    for expected in (
        card_name,
        "Version 2",
        "Risk High",
        "Status DRAFT",
        *SECTION_TITLES.values(),
        "binary_classification_metrics",
        "0.97",
        "fraud",
        "90 10 / 5 95",
        "RISK-42",
        "page 1 of",
    ):
        assert expected in text, expected
    shown = reader.data(
        "query($n: String!) { card(name: $n) { latestVersion { contentSha256 } "
        "checkpoint { keyId signature eventSha256 } } }",
        {"n": card_name},
    )["card"]
    unspaced = text.replace(" ", "")
    assert shown["latestVersion"]["contentSha256"] in unspaced
    # The card's signed checkpoint is printed whole: the PDF alone lets a reader check later.
    assert "Signed checkpoint of the card's history" in text
    for value in shown["checkpoint"].values():
        assert value in unspaced, value


def test_download_needs_a_key(editor: GraphQLClient, card_name: str, api_url: str) -> None:
    create_card(editor, card_name, {})
    result = export_pdf(editor, card_name)["result"]
    assert httpx.get(result["downloadUrl"]).status_code == 401
    assert (
        httpx.get(
            f"{api_url}/artifacts/{'0' * 32}",
            headers={"Authorization": editor.http.headers["Authorization"]},
        ).status_code
        == 404
    )


def test_same_version_is_rendered_once(editor: GraphQLClient, card_name: str, db: Any) -> None:
    create_card(editor, card_name, {"business_details": {"business_problem": "p"}})
    first = export_pdf(editor, card_name)
    again = export_pdf(editor, card_name, 1)
    assert first["result"]["reused"] is False
    assert again["result"]["reused"] is True
    assert again["result"]["artifactId"] == first["result"]["artifactId"]
    assert db.artifacts.count_documents({"card_name": card_name}) == 1


def test_any_version_and_archived_cards_export(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {"model_overview": {"model_name": "first"}})
    update_content(editor, card_name, {"model_overview": {"model_name": "second"}})
    set_status(editor, card_name, "ARCHIVED")
    old = export_pdf(editor, card_name, 1)
    assert old["state"] == "SUCCEEDED"
    assert old["result"]["version"] == 1
    latest = export_pdf(editor, card_name)
    assert latest["result"]["version"] == 2


def test_missing_card_or_version_fails_before_queueing(
    editor: GraphQLClient, card_name: str
) -> None:
    error = editor.error(EXPORT_PDF, {"name": "no-such-card"})
    assert error["extensions"]["code"] == "NOT_FOUND"
    create_card(editor, card_name, {})
    error = editor.error(EXPORT_PDF, {"name": card_name, "version": 7})
    assert error["extensions"]["code"] == "NOT_FOUND"
    jobs = editor.data(
        "query($n: String!) { jobs(filter: {cardName: $n}) { totalCount } }", {"n": card_name}
    )
    assert jobs["jobs"]["totalCount"] == 0


def test_readers_cannot_start_exports(
    reader: GraphQLClient, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {})
    assert reader.error(EXPORT_PDF, {"name": card_name})["extensions"]["code"] == "FORBIDDEN"


class _Listener:
    """A loopback HTTP listener that records every connection (it must see none)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


def _hostile_everywhere(node: Any, value: Any, payloads: list[str], counter: list[int]) -> Any:
    """FULL_CARD with every free-text string replaced by a hostile payload (within limits)."""

    def next_payload(limit: int | None) -> str:
        counter[0] += 1
        text = payloads[counter[0] % len(payloads)]
        return text[:limit] if limit else text

    if isinstance(node, Str):
        return value if node.enum else next_payload(node.max_len)
    if isinstance(node, Arr):
        return [_hostile_everywhere(node.item, v, payloads, counter) for v in value]
    if isinstance(node, Map):
        return {
            next_payload(60): _hostile_everywhere(node.value, v, payloads, counter)
            for v in value.values()
        }
    if isinstance(node, Tagged):
        return _hostile_everywhere(node.variants[value["type"]], value, payloads, counter)
    if isinstance(node, Obj):
        return {
            k: _hostile_everywhere(node.fields[k], v, payloads, counter) for k, v in value.items()
        }
    return value


def test_hostile_text_in_every_field_reaches_nothing(
    editor: GraphQLClient, card_name: str, keys: dict[Role, str], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    listener = _Listener()
    base = f"http://127.0.0.1:{listener.port}"
    payloads = [
        f'<img src="file://{secret}">',
        f'<link rel="stylesheet" href="{base}/a.css">',
        f'<style>@import "{base}/i.css"; body {{ background: url({base}/bg.png) }}</style>',
        f'<svg><image href="{base}/s.svg"/></svg>',
        f"url({base}/u.png)",
        f"file://{secret}",
        f'<iframe src="{base}/f.html"></iframe>',
    ]
    content = _hostile_everywhere(CARD_CONTENT, FULL_CARD, payloads, [0])
    try:
        create_card(editor, card_name, content)
        job = export_pdf(editor, card_name)
        assert job["state"] == "SUCCEEDED", job["error"]
        text = _pdf_text(_download(job["result"], keys[Role.READER]))
    finally:
        listener.close()
    assert listener.connections == 0
    assert "TOP-SECRET-CONTENT" not in text
    compact = text.replace(" ", "")
    assert "@import" in text and "<svg><image" in compact  # printed as text
    assert f"file://{secret}" in compact and '<imgsrc="file://' in compact
