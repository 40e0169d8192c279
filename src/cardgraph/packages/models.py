"""Mirrored model package versions (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cardgraph.cards.content import sha256_hex


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """A model package version as last seen in the registry, and the card it is linked to."""

    arn: str
    group_name: str | None
    version: int | None
    details: dict[str, Any]
    details_sha256: str
    synced_at: datetime
    card_id: str | None = None
    card_name: str | None = None

    @property
    def approval_status(self) -> str | None:
        """The registry's approval status."""
        status = self.details.get("model_approval_status")
        return status if isinstance(status, str) else None


def details_hash(details: dict[str, Any], model_metrics: Any) -> str:
    """Hash of what the sync compares: the card-facing details and the package's metrics."""
    return sha256_hex(json.dumps([details, model_metrics], sort_keys=True, default=str))
