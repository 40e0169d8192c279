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

    gap: strawberry.Private[event_models.FeedGap]

    @strawberry.field(description="The last moment the feed is known complete; null: unknown.")
    def since(self) -> datetime | None:
        return self.gap.since

    @strawberry.field(description="From this moment on no event is missing.")
    def until(self) -> datetime:
        return self.gap.until

    @strawberry.field(description="Why events may have been lost.")
    def reason(self) -> str:
        return self.gap.reason


@strawberry.type(
    name="CardEvent",
    description="A change to a card: new version, status, export; or RESYNC, a gap in the feed.",
)
class CardEventType:
    """One card event."""

    event: strawberry.Private[event_models.CardEvent]
    missed: strawberry.Private[event_models.FeedGap | None] = None

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
        return cls(event=event, missed=gap)

    @strawberry.field(description="What happened.")
    def kind(self) -> CardEventKind:
        return self.event.kind

    @strawberry.field(description="The card (RESYNC: the subscribed name, or empty).")
    def card_name(self) -> str:
        return self.event.card_name

    @strawberry.field(description="The version concerned (RESYNC: 0).")
    def version(self) -> int:
        return self.event.version

    @strawberry.field(description="The version's status after the event.")
    def status(self) -> str:
        return self.event.status

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.event.at

    @strawberry.field(description="Who caused it.")
    def actor(self) -> str:
        return self.event.actor

    @strawberry.field(description="The job behind the event, if any.")
    def job_id(self) -> str | None:
        return self.event.job_id

    @strawberry.field(description="The exported artifact (EXPORT_READY).")
    def artifact_id(self) -> str | None:
        return self.event.artifact_id

    @strawberry.field(
        description="RESYNC only: the span in which events may have been lost; null otherwise."
    )
    def gap(self) -> EventGapType | None:
        return EventGapType(gap=self.missed) if self.missed is not None else None
