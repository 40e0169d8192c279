"""Version documents in the `card_versions` collection, to and from the model."""

from __future__ import annotations

from cardgraph.cards.ledger_entries import status_head
from cardgraph.cards.models import (
    CardStatus,
    CardVersion,
    SectionProvenance,
    StatusChange,
    VersionSource,
)
from cardgraph.storage.mongo import Document
from cardgraph.storage.stored_values import stored_enum


def version_id(card_id: str, number: int) -> str:
    """The `_id` of a version document."""
    return f"{card_id}:{number}"


def status_change_document(change: StatusChange) -> Document:
    """The stored form of one status change."""
    doc: Document = {
        "from": change.from_status.value if change.from_status else None,
        "to": change.to_status.value,
        "by": change.changed_by,
        "at": change.changed_at,
        "sha256": change.sha256,
    }
    if change.migrated:
        doc["migrated"] = True
    return doc


def status_change_documents(version: CardVersion) -> list[Document]:
    """The stored form of a version's status history."""
    return [status_change_document(c) for c in version.status_history]


def version_document(version: CardVersion) -> Document:
    """The stored form of a new version."""
    doc: Document = {
        "_id": version_id(version.card_id, version.number),
        "card_id": version.card_id,
        "number": version.number,
        "status": version.status.value,
        "content_json": version.content_json,
        "content_sha256": version.content_sha256,
        "chain_sha256": version.chain_sha256,
        "prev_sha256": version.previous_chain_sha256,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "source": version.source.value,
        "status_history": status_change_documents(version),
        "status_sha256": status_head(version),
        "scheme": version.scheme,
    }
    if version.provenance:
        doc["provenance"] = [provenance_document(p) for p in version.provenance]
    if version.job_id is not None:
        # Only set when present, so a sparse unique index on job_id can key idempotent jobs.
        doc["job_id"] = version.job_id
    return doc


def provenance_document(entry: SectionProvenance) -> Document:
    """The stored form of one section's provenance."""
    doc: Document = {
        "section": entry.section,
        "version": entry.version,
        "source": entry.source.value,
        "by": entry.actor,
        "at": entry.at,
        "job": entry.job_id,
        "details": dict(entry.details),
    }
    if not entry.recorded:  # inherited from a version written before provenance was kept
        doc["recorded"] = False
    return doc


def _provenance_from_document(doc: Document, record_id: str) -> SectionProvenance:
    return SectionProvenance(
        section=doc["section"],
        version=doc["version"],
        source=stored_enum(
            VersionSource,
            doc["source"],
            record="card version",
            record_id=record_id,
            field="provenance source",
        ),
        actor=doc["by"],
        at=doc["at"],
        job_id=doc.get("job"),
        details=tuple(sorted((str(k), str(v)) for k, v in (doc.get("details") or {}).items())),
        recorded=doc.get("recorded", True) is not False,
    )


def version_from_document(doc: Document, card_name: str) -> CardVersion:
    """A version from its stored form."""

    def status(value: object, field: str) -> CardStatus:
        return stored_enum(
            CardStatus, value, record="card version", record_id=doc["_id"], field=field
        )

    return CardVersion(
        card_id=doc["card_id"],
        card_name=card_name,
        number=doc["number"],
        status=status(doc["status"], "status"),
        content_json=doc["content_json"],
        content_sha256=doc["content_sha256"],
        chain_sha256=doc["chain_sha256"],
        previous_chain_sha256=doc.get("prev_sha256"),
        created_at=doc["created_at"],
        created_by=doc["created_by"],
        source=stored_enum(
            VersionSource,
            doc["source"],
            record="card version",
            record_id=doc["_id"],
            field="source",
        ),
        job_id=doc.get("job_id"),
        scheme=doc.get("scheme", 1),
        provenance=tuple(
            _provenance_from_document(p, doc["_id"]) for p in doc.get("provenance") or ()
        ),
        status_history=tuple(
            StatusChange(
                from_status=status(c["from"], "status history") if c.get("from") else None,
                to_status=status(c["to"], "status history"),
                changed_by=c["by"],
                changed_at=c["at"],
                sha256=c.get("sha256", ""),
                migrated=bool(c.get("migrated", False)),
            )
            for c in doc.get("status_history", [])
        ),
    )
