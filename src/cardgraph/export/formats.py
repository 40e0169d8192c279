"""Export formats (pure): SageMaker's DescribeModelCard shape for JSON, filters as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from cardgraph.cards.models import Card, CardFilter, CardStatus, CardVersion
from cardgraph.ledger.signing import Checkpoint

SAGEMAKER_STATUS = {
    CardStatus.DRAFT: "Draft",
    CardStatus.PENDING_REVIEW: "PendingReview",
    CardStatus.APPROVED: "Approved",
    CardStatus.ARCHIVED: "Archived",
}


class ExportFormat(StrEnum):
    """File format of each exported card."""

    PDF = "PDF"
    JSON = "JSON"
    # The whole history with its audit chain and signed checkpoint (`cardgraph verify`).
    HISTORY = "HISTORY"


def version_document(
    card: Card, version: CardVersion, checkpoint: Checkpoint | None = None
) -> bytes:
    """A version as SageMaker's DescribeModelCard response, plus the hashes and the card's
    signed checkpoint."""
    document = {
        "ModelCardArn": card.arn,
        "ModelCardName": card.name,
        "ModelCardVersion": version.number,
        "ModelCardStatus": SAGEMAKER_STATUS[version.status],
        "Content": version.content_json,
        "CreationTime": version.created_at.isoformat(),
        "CreatedBy": {"UserProfileName": version.created_by},
        "ContentSha256": version.content_sha256,
        "ChainSha256": version.chain_sha256,
        "Checkpoint": checkpoint.to_json() if checkpoint else None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def history_document(bundle: dict[str, Any]) -> bytes:
    """A history bundle as a file (compact: a long history is large)."""
    return json.dumps(bundle, separators=(",", ":"), ensure_ascii=False).encode()


def filter_to_json(card_filter: CardFilter) -> dict[str, Any]:
    """A card filter as job input."""
    return {
        "name_contains": card_filter.name_contains,
        "statuses": [s.value for s in card_filter.statuses],
        "risk_ratings": list(card_filter.risk_ratings),
        "created_after": card_filter.created_after.isoformat()
        if card_filter.created_after
        else None,
        "created_before": card_filter.created_before.isoformat()
        if card_filter.created_before
        else None,
        "model_package_group": card_filter.model_package_group,
    }


def filter_from_json(data: dict[str, Any]) -> CardFilter:
    """A card filter back from job input."""

    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    return CardFilter(
        name_contains=data.get("name_contains"),
        statuses=tuple(CardStatus(s) for s in data.get("statuses", [])),
        risk_ratings=tuple(data.get("risk_ratings", [])),
        created_after=when("created_after"),
        created_before=when("created_before"),
        model_package_group=data.get("model_package_group"),
    )
