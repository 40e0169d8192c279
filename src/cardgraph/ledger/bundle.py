"""An exported card history checked with nothing but the service's public key (pure): what
`cardgraph verify BUNDLE` runs, with no server and no database.

A bundle is JSON: the card, every version (its content as a JSON object), the card's audit
chain, and the card's signed checkpoint. Every hash is recomputed from the content itself,
with RFC 8785, so a bundle whose stored hashes were "fixed" after an edit still fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cardgraph.audit.models import AuditEvent
from cardgraph.hashing import CanonicalisationError, canonical_json, sha256_hex
from cardgraph.ledger.check import LedgerCheck, LedgerResult
from cardgraph.ledger.facts import StatusFacts, VersionFacts
from cardgraph.ledger.signing import Checkpoint, PublicKey

BUNDLE_FORMAT = "cardgraph-history/1"


class BundleError(ValueError):
    """A bundle that is not one (its path in the document, and why)."""


def verify_bundle(
    bundle: Any, keys: Sequence[PublicKey], kept: list[tuple[str, Checkpoint]] | None = None
) -> LedgerResult:
    """Check an exported history against itself, its signed checkpoint and `kept` ones; a
    checkpoint must be signed by one of `keys` (the current key and any retired ones)."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"$.format: not a {BUNDLE_FORMAT} bundle")
    card = _object(bundle, "card", "$")
    card_id, card_name = _text(card, "id", "$.card"), _text(card, "name", "$.card")
    check = LedgerCheck(card_id, card_name)
    for index, version in enumerate(_list(bundle, "versions")):
        check.add_version(_version(version, f"$.versions[{index}]"))
    check.add_events(_event(e, f"$.events[{i}]") for i, e in enumerate(_list(bundle, "events")))
    head = None
    if bundle.get("checkpoint") is None:
        check.note("the bundle", "holds no signed checkpoint")
    else:
        try:
            head = ("the bundle's checkpoint", Checkpoint.from_json(bundle["checkpoint"]))
        except ValueError as error:
            raise BundleError(f"$.checkpoint: {error}") from None
    return check.finish(head=head, kept=kept or [], keys=keys)


def _version(data: Any, path: str) -> VersionFacts:
    if not isinstance(data, dict):
        raise BundleError(f"{path}: must be an object")
    try:
        computed = sha256_hex(canonical_json(data["content"]))
        return VersionFacts(
            number=int(data["number"]),
            content_sha256=str(data["contentSha256"]),
            computed_content_sha256=computed,
            chain_sha256=str(data["chainSha256"]),
            previous_chain_sha256=data.get("previousSha256"),
            created_at=datetime.fromisoformat(data["createdAt"]),
            created_by=str(data["createdBy"]),
            source=str(data["source"]),
            job_id=data.get("jobId"),
            status=str(data["status"]),
            status_history=tuple(
                StatusFacts(
                    from_status=c.get("from"),
                    to_status=str(c["to"]),
                    changed_by=str(c["by"]),
                    changed_at=datetime.fromisoformat(c["at"]),
                    sha256=str(c["sha256"]),
                    migrated=bool(c.get("migrated", False)),
                )
                for c in data["statusHistory"]
            ),
            scheme=int(data.get("scheme", 0)),
            origins=_origins(data),
        )
    except (KeyError, TypeError, ValueError, CanonicalisationError) as error:
        raise BundleError(f"{path}: {error!r} is missing or malformed") from None


def _origins(data: dict[str, Any]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None:
    """What the version's provenance says its write read, per section it set (checked against
    its audit event; offline, inheritance between versions is not re-derived)."""
    entries = data.get("provenance") or []
    if not entries:
        return None
    number = int(data["number"])
    return tuple(
        (str(e["section"]), tuple(sorted((str(k), str(v)) for k, v in e["details"].items())))
        for e in entries
        if int(e["setInVersion"]) == number and e.get("recorded", True) is not False
    )


def _event(data: Any, path: str) -> AuditEvent:
    if not isinstance(data, dict):
        raise BundleError(f"{path}: must be an object")
    try:
        return AuditEvent(
            chain=str(data["chain"]),
            sequence=int(data["sequence"]),
            at=datetime.fromisoformat(data["at"]),
            actor=str(data["actor"]),
            role=str(data["role"]),
            operation=str(data["operation"]),
            card_name=data.get("cardName"),
            version=data.get("version"),
            before_sha256=data.get("beforeSha256"),
            after_sha256=data.get("afterSha256"),
            request_id=data.get("requestId"),
            details=dict(data.get("details") or {}),
            previous_sha256=str(data["previousSha256"]),
            event_sha256=str(data["eventSha256"]),
            scheme=int(data.get("scheme", 1)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BundleError(f"{path}: {error!r} is missing or malformed") from None


def _object(data: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise BundleError(f"{path}.{key}: must be an object")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise BundleError(f"$.{key}: must be an array")
    return value


def _text(data: dict[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise BundleError(f"{path}.{key}: must be a string")
    return value
