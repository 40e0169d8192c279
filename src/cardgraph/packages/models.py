"""Mirrored model package versions (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cardgraph.hashing import sha256_hex


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
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def approval_status(self) -> str | None:
        """The registry's approval status."""
        status = self.details.get("model_approval_status")
        return status if isinstance(status, str) else None


def metric_reports(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(evaluation name, S3 URI, metric file type) of each report a package's metrics name.

    Named as SageMaker's SDK names them when it fills a card from a package.
    """
    reports = []
    quality = ((metrics.get("ModelQuality") or {}).get("Statistics") or {}).get("S3Uri")
    if quality:
        reports.append(("Model quality report", quality, "MODEL_MONITOR_MODEL_QUALITY"))
    for key, report in sorted((metrics.get("Bias") or {}).items()):
        if isinstance(report, dict) and report.get("S3Uri"):
            reports.append((f"Bias {key}", report["S3Uri"], "CLARIFY_BIAS"))
    explain = ((metrics.get("Explainability") or {}).get("Report") or {}).get("S3Uri")
    if explain:
        reports.append(("Explainability report", explain, "CLARIFY_EXPLAINABILITY"))
    return reports


def details_hash(details: dict[str, Any], model_metrics: Any) -> str:
    """Hash of what the sync compares: the card-facing details and the package's metrics."""
    return sha256_hex(json.dumps([details, model_metrics], sort_keys=True, default=str))
