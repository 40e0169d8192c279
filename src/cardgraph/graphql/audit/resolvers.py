"""Audit log query and card verification."""

from __future__ import annotations

import strawberry

from cardgraph.graphql.audit.types import AuditEventType, VerificationType
from cardgraph.graphql.context import Info
from cardgraph.graphql.pagination import Connection, page_request, to_connection
from cardgraph.pagination import AUDIT_EVENTS


@strawberry.type
class AuditQuery:
    """Audit queries."""

    @strawberry.field(
        description="The audit log, newest first (of one card, or all). Needs approver."
    )
    async def audit_events(
        self,
        info: Info,
        card: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEventType]:
        audit = info.context.services.audit
        audit.authorise_reading(info.context.actor)
        request = await page_request(info, AUDIT_EVENTS, first, after)
        page = await audit.page(info.context.actor, card, request)
        return await to_connection(info, page, lambda row: AuditEventType.from_domain(row[0]))

    @strawberry.field(
        description="Re-hash a card's versions and its audit chain from storage; "
        "reports the first version that does not match."
    )
    async def verify_card(self, info: Info, name: str) -> VerificationType:
        services = info.context.services
        result = await services.cards.verify(name)
        audit = await services.audit.check_chain(name)
        return VerificationType.from_domain(result, audit.events, audit.first_invalid_sequence)
