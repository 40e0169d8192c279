"""`cardgraph verify`: an exported history (HISTORY export, made by a real worker) checked by
the installed command with the public key alone — no server settings, no database — and the
same bundle, tampered with in each way a holder of the file could, refused."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cardgraph.hashing import canonical_json, sha256_hex
from cardgraph.ledger.records import version_sha256
from cardgraph.ledger.signing import SigningKey, sign_checkpoint
from cardgraph.principals import Role
from tests.support.cards_api import create_card, set_status, update_content
from tests.support.factories import custom_details
from tests.support.jobs_api import JOB_FIELDS, wait_for_job
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

EXPORT = f"""mutation($filter: CardFilter, $format: ExportFormat!) {{
  exportCards(filter: $filter, format: $format) {{ {JOB_FIELDS} }} }}"""
KEY = "{ signingKey { algorithm keyId publicKey pem } }"
CHECKPOINT = "query($n: String!) { card(name: $n) { checkpoint { document } } }"
COMMAND = str(Path(sys.executable).with_name("cardgraph"))


@pytest.fixture(scope="module")
def exported(
    editor: GraphQLClient, approver: GraphQLClient, keys: dict[Role, str], tmp_path_factory: Any
) -> dict[str, Any]:
    """A card with three versions, approved, exported as a HISTORY zip by the worker."""
    name = f"offline-{os.urandom(4).hex()}"
    create_card(editor, name, {"model_overview": {"model_description": "v1"}})
    update_content(editor, name, custom_details(i="2", note="é 😀 1e-7"))
    kept = editor.data(CHECKPOINT, {"n": name})["card"]["checkpoint"]["document"]
    update_content(editor, name, custom_details(i="3"))
    set_status(editor, name, "PENDING_REVIEW")
    set_status(approver, name, "APPROVED")
    job = editor.data(EXPORT, {"filter": {"nameContains": name}, "format": "HISTORY"})
    done = wait_for_job(editor, job["exportCards"]["id"], timeout=120)
    assert done["state"] == "SUCCEEDED", done
    response = httpx.get(
        done["result"]["downloadUrl"], headers={"Authorization": f"Bearer {keys[Role.EDITOR]}"}
    )
    assert response.status_code == 200
    folder = tmp_path_factory.mktemp("offline")
    archive = folder / "history.zip"
    archive.write_bytes(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as opened:
        bundle = json.loads(opened.read(f"{name}-history.json"))
    key = editor.data(KEY)["signingKey"]
    return {"name": name, "zip": archive, "bundle": bundle, "key": key, "kept": kept, "dir": folder}


def _verify(
    exported: dict[str, Any], bundle: Any = None, *extra: str, key: str | None = None
) -> tuple[int, str]:
    """Run the installed command in an environment with no cardgraph settings at all."""
    path = exported["zip"]
    if bundle is not None:
        path = exported["dir"] / f"{os.urandom(4).hex()}-history.json"
        path.write_text(json.dumps(bundle))
    done = subprocess.run(
        [COMMAND, "verify", str(path), "--public-key", key or exported["key"]["publicKey"], *extra],
        env={"PATH": os.environ["PATH"], "HOME": str(exported["dir"])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_an_honest_export_verifies_with_the_public_key_alone(exported: dict[str, Any]) -> None:
    code, output = _verify(exported)
    assert code == 0, output
    card_id = exported["bundle"]["card"]["id"]
    assert (
        f"{exported['name']}-history.json: VALID — card {exported['name']!r} (id {card_id}), "
        "3 version(s)"
    ) in output
    assert "1 signed checkpoint(s) checked" in output
    bundle = exported["bundle"]
    assert bundle["publicKey"]["keyId"] == exported["key"]["keyId"]
    assert bundle["checkpoint"]["versions"] == 3
    # The PEM form of the key works as well, from a file.
    pem = exported["dir"] / "service.pem"
    pem.write_text(exported["key"]["pem"])
    assert _verify(exported, key=str(pem))[0] == 0


def test_a_kept_checkpoint_is_checked_too(exported: dict[str, Any]) -> None:
    kept = exported["dir"] / "kept.json"
    kept.write_text(json.dumps(exported["kept"]))
    code, output = _verify(exported, None, "--checkpoint", str(kept), "--json")
    assert code == 0, output
    shown = json.loads(output)
    (result,) = shown["bundles"]
    assert (result["valid"], result["checkpoints"], result["versions"]) == (True, 2, 3)
    assert shown["unmatchedCheckpoints"] == []


def test_a_kept_checkpoint_of_a_card_not_in_the_export_is_said_so(
    exported: dict[str, Any],
) -> None:
    other = dict(exported["kept"], card="0" * 32)
    kept = exported["dir"] / "other.json"
    kept.write_text(json.dumps(other))
    code, output = _verify(exported, None, "--checkpoint", str(kept))
    assert code == 1
    assert "other.json: is a checkpoint of no card in history.zip" in output


def test_history_appended_after_the_signed_head_is_refused(exported: dict[str, Any]) -> None:
    """A version (and its event) added to the file after its checkpoint: consistent with each
    other, and signed by nothing."""
    bundle = _tampered(exported)
    last = copy.deepcopy(bundle["versions"][-1])
    bundle["versions"].append(_forged_next(bundle, last))
    code, output = _verify(exported, bundle)
    assert code == 1
    assert "came after it, and nothing signed covers them" in output


def _tampered(exported: dict[str, Any]) -> dict[str, Any]:
    bundle: dict[str, Any] = copy.deepcopy(exported["bundle"])
    return bundle


def test_edited_content_is_refused(exported: dict[str, Any]) -> None:
    bundle = _tampered(exported)
    bundle["versions"][1]["content"]["additional_information"]["custom_details"]["i"] = "forged"
    code, output = _verify(exported, bundle)
    assert code == 1
    assert "version 2: the content does not match its SHA-256" in output


def test_a_consistent_rewrite_of_the_bundle_is_refused_by_its_signature(
    exported: dict[str, Any],
) -> None:
    """The holder edits version 3 and recomputes its content hash and chain hash; the audit
    event and the signed checkpoint still name the original."""
    bundle = _tampered(exported)
    version = bundle["versions"][2]
    version["content"] = custom_details(i="forged")
    version["contentSha256"] = sha256_hex(canonical_json(version["content"]))
    version["chainSha256"] = version_sha256(
        card_id=bundle["card"]["id"],
        number=3,
        previous_chain_sha256=version["previousSha256"],
        content_sha256=version["contentSha256"],
        created_at=datetime.fromisoformat(version["createdAt"]),
        created_by=version["createdBy"],
        source=version["source"],
        job_id=version["jobId"],
        status=version["statusHistory"][0]["to"],
    )
    code, output = _verify(exported, bundle)
    assert code == 1
    assert "version 3: differs from what its audit event recorded" in output
    assert "the bundle's checkpoint: version 3 was rewritten after" in output


def _forged_next(bundle: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    content = custom_details(i="appended")
    created = datetime.fromisoformat(last["createdAt"])
    version = {
        **last,
        "number": last["number"] + 1,
        "content": content,
        "contentSha256": sha256_hex(canonical_json(content)),
        "previousSha256": last["chainSha256"],
        "status": "DRAFT",
    }
    version["chainSha256"] = version_sha256(
        card_id=bundle["card"]["id"],
        number=version["number"],
        previous_chain_sha256=version["previousSha256"],
        content_sha256=version["contentSha256"],
        created_at=created,
        created_by=version["createdBy"],
        source=version["source"],
        job_id=version["jobId"],
        status="DRAFT",
    )
    version["statusHistory"] = [
        {
            "from": None,
            "to": "DRAFT",
            "by": version["createdBy"],
            "at": last["createdAt"],
            "sha256": version["chainSha256"],
        }
    ]
    return version


def test_a_truncated_bundle_is_refused(exported: dict[str, Any]) -> None:
    bundle = _tampered(exported)
    del bundle["versions"][-1]
    bundle["events"] = [e for e in bundle["events"] if e["version"] != 3]
    code, output = _verify(exported, bundle)
    assert code == 1
    assert "signed 3 version(s)" in output and "versions were deleted" in output


@pytest.mark.parametrize("how", ["removed", "another key", "edited body"])
def test_a_checkpoint_the_service_did_not_sign_is_refused(
    exported: dict[str, Any], how: str
) -> None:
    bundle = _tampered(exported)
    if how == "removed":
        bundle["checkpoint"] = None
        expected = "the bundle: holds no signed checkpoint"
    elif how == "another key":
        forged = sign_checkpoint(
            SigningKey(Ed25519PrivateKey.generate()),
            card_id=bundle["card"]["id"],
            card_name=bundle["card"]["name"],
            versions=3,
            version_sha256=bundle["versions"][2]["chainSha256"],
            events=len(bundle["events"]),
            event_sha256=bundle["events"][-1]["eventSha256"],
            at=datetime.now(UTC),
        )
        bundle["checkpoint"] = forged.to_json()
        expected = "its signature does not verify"
    else:
        bundle["checkpoint"]["versions"] = 2
        expected = "its signature does not verify"
    code, output = _verify(exported, bundle)
    assert code == 1
    assert expected in output


def test_the_wrong_public_key_is_refused(exported: dict[str, Any]) -> None:
    other = SigningKey.generate().public_key.base64
    code, output = _verify(exported, key=other)
    assert code == 1
    assert "its signature does not verify with the service's public key" in output


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        ({"format": "something else"}, "$.format: not a cardgraph-history/1 bundle"),
        ({"format": "cardgraph-history/1", "card": {"id": "x", "name": "y"}}, "$.versions"),
    ],
)
def test_a_file_that_is_no_bundle_is_an_error_not_a_verdict(
    exported: dict[str, Any], bundle: dict[str, Any], message: str
) -> None:
    code, output = _verify(exported, bundle)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_a_bad_public_key_is_an_error(exported: dict[str, Any]) -> None:
    code, output = _verify(exported, key="not-a-key")
    assert (code, "--public-key" in output, "Traceback" in output) == (2, True, False)
