"""Artifact metadata (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
