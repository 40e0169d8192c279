"""Stale cards: a linked model package changed after the card was approved, so the approval no
longer matches the model the card describes. Approving a version again clears it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cardgraph.audit.service import AuditLog
from cardgraph.cards.as_of_reads import AsOfReads
from cardgraph.cards.card_reads import CardReads
from cardgraph.cards.models import Card, Staleness
from cardgraph.cards.repository import CardRepository
from cardgraph.events.models import CardEvent, CardEventKind
from cardgraph.events.publisher import EventPublisher
from cardgraph.principals import Principal


class CardStaleness:
    """Marks cards stale when their model package changes, and clears the mark on approval."""

    def __init__(
        self,
        repository: CardRepository,
        reads: CardReads,
        as_of: AsOfReads,
        *,
        audit: AuditLog,
        events: EventPublisher,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._reads = reads
        self._as_of = as_of
        self._audit = audit
        self._events = events
        self._clock = clock

    async def package_changed(
        self, card: Card, package_arn: str, actor: Principal
    ) -> Staleness | None:
        """The linked package `package_arn` changed: mark `card` stale if a version of it is
        approved (an unapproved card has no approval to contradict). Its staleness, if any."""
        now = self._clock()
        approved = await self._as_of.approved_version(card, now)
        if approved is None:
            return None
        approval = approved.status_history[-1].changed_at
        stale = Staleness(
            reason=f"Model package {package_arn} changed (seen {_when(now)}) after version "
            f"{approved.number} was approved ({_when(approval)})",
            since=now,
            model_package_arn=package_arn,
            approved_version=approved.number,
        )
        ticket = self._reads.ticket()
        marked = await self._repository.set_stale(card.id, stale)
        if marked is None:  # deleted meanwhile
            return None
        self._reads.card_written(marked, ticket)
        await self._audit.record(
            actor,
            "markCardStale",
            card_name=card.name,
            details={
                "cardId": card.id,
                "modelPackageArn": package_arn,
                "approvedVersion": approved.number,
            },
        )
        await self._events.card_changed(
            CardEvent(
                kind=CardEventKind.CARD_STALE,
                card_name=card.name,
                version=marked.latest_version,
                status=marked.status.value,
                at=now,
                actor=actor.actor,
            )
        )
        return stale

    async def approved(self, name: str) -> None:
        """A version of the card called `name` was just approved: it is not stale any more."""
        card = await self._reads.require_card(name)
        if card.stale is None:
            return
        ticket = self._reads.ticket()
        cleared = await self._repository.set_stale(card.id, None)
        if cleared is not None:
            self._reads.card_written(cleared, ticket)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
