"""Card events as GraphQL types: what happened to a card, and the gaps a live feed reports."""

from __future__ import annotations

from datetime import datetime

import strawberry

from cardgraph.events import models as event_models
from cardgraph.events.models import CardEventKind

strawberry.enum(
    CardEventKind,
    description="What happened to a card; RESYNC: events may have been lost (see `gap`).",
)


@strawberry.type(
    name="EventGap",
    description="A span in which live events may have been lost. Read afresh what you show "
    "(for example `cards(sort: {field: UPDATED, direction: DESC})` down to `since`); every "
    "event after `until` is delivered.",
)
class EventGapType:
    """A gap in a live event feed."""

    since: datetime | None = strawberry.field(
        description="The last moment the feed is known complete; null: unknown."
    )
    until: datetime = strawberry.field(description="From this moment on no event is missing.")
    reason: str = strawberry.field(description="Why events may have been lost.")

    @classmethod
    def from_domain(cls, gap: event_models.FeedGap) -> EventGapType:
        return cls(since=gap.since, until=gap.until, reason=gap.reason)


@strawberry.type(
    name="CardEvent",
    description="A change to a card: new version, status, export; or RESYNC, a gap in the feed.",
)
class CardEventType:
    """One card event."""

    kind: CardEventKind = strawberry.field(description="What happened.")
    card_name: str = strawberry.field(
        description="The card (RESYNC: the subscribed name, or empty)."
    )
    version: int = strawberry.field(description="The version concerned (RESYNC: 0).")
    status: str = strawberry.field(description="The version's status after the event.")
    at: datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(description="Who caused it.")
    job_id: str | None = strawberry.field(description="The job behind the event, if any.")
    artifact_id: str | None = strawberry.field(description="The exported artifact (EXPORT_READY).")
    sections: list[str] | None = strawberry.field(
        description="VERSION_CREATED: the top-level content sections the new version changed "
        "(version 1: every section it has), in the order of the stored JSON (sorted); null "
        "for other kinds."
    )
    gap: EventGapType | None = strawberry.field(
        description="RESYNC only: the span in which events may have been lost; null otherwise."
    )

    @classmethod
    def from_domain(
        cls, event: event_models.CardEvent, missed: event_models.FeedGap | None = None
    ) -> CardEventType:
        return cls(
            kind=event.kind,
            card_name=event.card_name,
            version=event.version,
            status=event.status,
            at=event.at,
            actor=event.actor,
            job_id=event.job_id,
            artifact_id=event.artifact_id,
            sections=list(event.sections) if event.sections is not None else None,
            gap=EventGapType.from_domain(missed) if missed is not None else None,
        )

    @classmethod
    def resync(cls, gap: event_models.FeedGap, name: str | None) -> CardEventType:
        """The RESYNC event announcing `gap` to a subscriber of `name` (None: all cards)."""
        event = event_models.CardEvent(
            kind=event_models.CardEventKind.RESYNC,
            card_name=name or "",
            version=0,
            status="",
            at=gap.until,
            actor="cardgraph",
        )
        return cls.from_domain(event, gap)
