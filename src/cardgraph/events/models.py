"""Card events (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class CardEventKind(StrEnum):
    """What happened to a card."""

    VERSION_CREATED = "VERSION_CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    EXPORT_READY = "EXPORT_READY"
    CARD_DELETED = "CARD_DELETED"
    # A linked model package changed after the card was approved (see `Card.stale`).
    CARD_STALE = "CARD_STALE"
    # Not a change of one card: events may have been lost (see `FeedGap`); refetch.
    RESYNC = "RESYNC"


@dataclass(frozen=True, slots=True)
class FeedGap:
    """A span in which live events may have been lost: whoever shows what they described
    must read it afresh. Everything after the gap is delivered again."""

    # The last moment the feed is known to have been complete; None when unknown.
    since: datetime | None
    # From here on no event is missing.
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class CardEvent:
    """One change to one card."""

    kind: CardEventKind
    card_name: str
    version: int
    status: str
    at: datetime
    actor: str
    job_id: str | None = None
    artifact_id: str | None = None
    # VERSION_CREATED: the top-level content sections the version changed.
    sections: tuple[str, ...] | None = None
    # The publishing process (see `Freshness.origin`); not part of the public event.
    origin: str | None = None

    def to_json(self) -> str:
        """Serialise for the wire."""
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "card_name": self.card_name,
            "version": self.version,
            "status": self.status,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "job_id": self.job_id,
            "artifact_id": self.artifact_id,
            "sections": list(self.sections) if self.sections is not None else None,
            "origin": self.origin,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> CardEvent:
        """Deserialise."""
        data = json.loads(text)
        return cls(
            kind=CardEventKind(data["kind"]),
            card_name=data["card_name"],
            version=data["version"],
            status=data["status"],
            at=datetime.fromisoformat(data["at"]),
            actor=data["actor"],
            job_id=data.get("job_id"),
            artifact_id=data.get("artifact_id"),
            sections=tuple(sections) if (sections := data.get("sections")) is not None else None,
            origin=data.get("origin"),
        )
