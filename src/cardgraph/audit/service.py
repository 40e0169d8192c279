"""Recording every change in the audit log, reading it, and checking its chains."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne

from cardgraph.audit import context
from cardgraph.audit.models import AuditEvent, audit_event
from cardgraph.audit.repository import AuditRepository
from cardgraph.pagination import Page, PageRequest, page_of
from cardgraph.principals import Principal, Role
from cardgraph.storage.mongo import Document


@dataclass(frozen=True, slots=True)
class PreparedAppend:
    """Audit events chained after the head this process knows, and their inserts."""

    events: list[AuditEvent]
    operations: list[InsertOne[Document]]


class AuditLog:
    """The append-only log; one hash chain per card (and one for everything else)."""

    def __init__(self, repository: AuditRepository) -> None:
        self._repository = repository

    async def record(
        self,
        actor: Principal,
        operation: str,
        *,
        card_name: str | None = None,
        version: int | None = None,
        before: str | None = None,
        after: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append an event for an action that has just happened (in the current request)."""
        event = audit_event(
            actor,
            operation,
            context.request_id.get(),
            card_name=card_name,
            version=version,
            before=before,
            after=after,
            details=details,
        )
        return (await self._repository.append([event]))[0]

    async def record_all(self, events: list[AuditEvent]) -> list[AuditEvent]:
        """Append events of one chain, in order, in one write (a batch of card writes)."""
        return await self._repository.append(events)

    async def prepare_all(self, events: list[AuditEvent]) -> PreparedAppend:
        """Events of one chain numbered and hashed after its head, with their inserts, to
        write along with other changes; `settle` then says how many went in."""
        chained = await self._repository.chain_next(events)
        return PreparedAppend(chained, self._repository.insert_operations(chained))

    async def settle(self, prepared: PreparedAppend, inserted: int) -> None:
        """After the first `inserted` prepared events went in: append the rest (another
        process had moved the chain's head on)."""
        self._repository.appended(prepared.events, inserted)
        if inserted < len(prepared.events):
            await self._repository.append(prepared.events[inserted:])

    async def head(self, chain: str) -> tuple[int, str]:
        """The (sequence, hash) of a chain's last event, as this process last wrote or read it."""
        return await self._repository.head(chain)

    def chain(self, chain: str) -> AsyncIterator[AuditEvent]:
        """A chain's events in order."""
        return self._repository.chain(chain)

    @staticmethod
    def authorise_reading(actor: Principal) -> None:
        """Only approvers and admins read the audit log (checked before any argument)."""
        actor.require(Role.APPROVER, "reading the audit log")

    async def page(
        self, actor: Principal, card_name: str | None, request: PageRequest[tuple[str]]
    ) -> Page[tuple[AuditEvent, str], tuple[str]]:
        """Events with their ids, newest first (approvers and admins only)."""
        self.authorise_reading(actor)
        before = request.after[0] if request.after is not None else None
        found = await self._repository.page(card_name, before, request.limit)
        return page_of(
            request, found, lambda row: (row[1],), lambda: self._repository.count(card_name)
        )
