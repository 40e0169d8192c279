"""Card summary documents in the `cards` collection, to and from the model."""

from __future__ import annotations

from cardgraph.cards.models import Card, CardStatus, Staleness
from cardgraph.storage.mongo import Document
from cardgraph.storage.stored_values import stored_enum


def card_document(card: Card) -> Document:
    """The stored form of a new card."""
    return {
        "_id": card.id,
        "name": card.name,
        "live_name": card.name,
        "arn": card.arn,
        "created_at": card.created_at,
        "created_by": card.created_by,
        "updated_at": card.updated_at,
        "latest_version": card.latest_version,
        "status": card.status.value,
        "risk_rating": card.risk_rating,
        "model_package_group": card.model_package_group,
        "kms_key_id": card.kms_key_id,
        "deleted": False,
    }


def card_from_document(doc: Document) -> Card:
    """A card from its stored form."""
    return Card(
        id=doc["_id"],
        name=doc["name"],
        arn=doc["arn"],
        created_at=doc["created_at"],
        created_by=doc["created_by"],
        updated_at=doc["updated_at"],
        latest_version=doc["latest_version"],
        status=stored_enum(
            CardStatus, doc["status"], record="card", record_id=doc["_id"], field="status"
        ),
        risk_rating=doc.get("risk_rating"),
        model_package_group=doc.get("model_package_group"),
        kms_key_id=doc.get("kms_key_id"),
        revision=doc.get("revision", 0),
        stale=staleness_from_document(doc.get("stale")),
    )


def staleness_document(stale: Staleness) -> Document:
    """The stored form of a card's staleness."""
    return {
        "reason": stale.reason,
        "since": stale.since,
        "model_package_arn": stale.model_package_arn,
        "approved_version": stale.approved_version,
    }


def staleness_from_document(doc: object) -> Staleness | None:
    """A card's staleness from its stored form (none when absent)."""
    if not isinstance(doc, dict):
        return None
    return Staleness(
        reason=doc["reason"],
        since=doc["since"],
        model_package_arn=doc["model_package_arn"],
        approved_version=doc["approved_version"],
    )
