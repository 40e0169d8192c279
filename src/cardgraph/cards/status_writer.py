"""Status changes: the latest version's status changed in place, chained in its status history,
audited with the hash of the change, and the card's new head signed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from cardgraph.audit.service import AuditLog
from cardgraph.cards.card_reads import CardReads
from cardgraph.cards.checkpoints import CardCheckpoints
from cardgraph.cards.content_writer import MAX_WRITE_ATTEMPTS, ContentWriter
from cardgraph.cards.ledger_entries import chained_status_change
from cardgraph.cards.models import (
    CardStatus,
    CardVersion,
    check_approval_policy,
    check_transition,
)
from cardgraph.cards.repository import CardRepository
from cardgraph.errors import ConflictError
from cardgraph.events.models import CardEventKind
from cardgraph.ledger.records import LEDGER_SCHEME
from cardgraph.principals import Principal


class StatusWriter:
    """Writes status changes, one card writer at a time (the content writer's lock)."""

    def __init__(
        self,
        repository: CardRepository,
        reads: CardReads,
        writer: ContentWriter,
        *,
        audit: AuditLog,
        checkpoints: CardCheckpoints,
        high_risk_policy: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._reads = reads
        self._writer = writer
        self._audit = audit
        self._checkpoints = checkpoints
        self._high_risk_policy = high_risk_policy
        self._clock = clock

    async def write(self, name: str, status: CardStatus, actor: Principal) -> CardVersion:
        """Change the latest version of `name` to `status` (the caller checked the role)."""
        async with self._writer.card_lock(name):
            return await self._write(name, status, actor)

    async def _write(self, name: str, status: CardStatus, actor: Principal) -> CardVersion:
        card = await self._reads.require_card(name)
        for _ in range(MAX_WRITE_ATTEMPTS):
            latest = await self._reads.current_version(card)
            if latest.scheme < LEDGER_SCHEME:  # its status chain has no head to chain after
                raise ConflictError(
                    f"card {name!r} is waiting for the ledger migration; try again shortly"
                )
            check_transition(latest.status, status)
            if status is CardStatus.APPROVED and self._high_risk_policy:
                check_approval_policy(latest.content)
            change = chained_status_change(latest, status, actor.actor, self._clock())
            if not await self._repository.record_status(card, latest, change):
                continue  # another status change won; re-check the workflow against it
            updated = dataclasses.replace(
                latest, status=status, status_history=(*latest.status_history, change)
            )
            # A version created meanwhile is a later event, except that archiving must reach
            # whatever is latest: an archived card accepts no content at all. The change just
            # written to the older version happened all the same: it is audited like any other.
            superseded, newest = False, updated
            if status is CardStatus.ARCHIVED:
                newest = await self._reads.current_version(card)
                superseded = newest.number != latest.number
            event = await self._audit.record(
                actor,
                "setCardStatus",
                card_name=name,
                version=updated.number,
                before=updated.content_sha256,
                after=updated.content_sha256,
                details={
                    "from": latest.status.value,
                    "to": status.value,
                    "cardId": card.id,
                    "statusSha256": change.sha256,
                },
            )
            if superseded:
                # The head is the newer version's, and this event comes after it.
                await self._checkpoints.sign_head(card)
            else:
                # The summary carries the head that event ends, signed.
                head = (event.sequence, event.event_sha256)
                checkpoint = self._checkpoints.sign(card, updated, head)
                if await self._writer.refresh_summary(card, updated, checkpoint):
                    await self._checkpoints.published(checkpoint)
                else:  # another process wrote a newer version meanwhile
                    await self._checkpoints.sign_head(card)
            await self._writer.announce(CardEventKind.STATUS_CHANGED, updated)
            if superseded:
                continue
            return updated
        raise ConflictError(f"card {name!r} is changing too fast; try again")
