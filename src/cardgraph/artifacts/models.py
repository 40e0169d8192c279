"""Artifact metadata (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cardgraph.principals import Principal, Role

UPLOAD_PREFIX = "upload:"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One stored file; `key` identifies what it renders, so equal renders share it."""

    id: str
    key: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    job_id: str
    card_name: str | None = None

    def readable_by(self, principal: Principal) -> bool:
        """Renders are for every reader; an uploaded file for its uploader and reviewers."""
        if not self.key.startswith(UPLOAD_PREFIX):
            return True
        return (
            principal.role >= Role.APPROVER or self.job_id == f"{UPLOAD_PREFIX}{principal.key_id}"
        )
