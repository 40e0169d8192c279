"""Audit log query and card verification."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from cardgraph.errors import FieldProblem, ValidationFailedError
from cardgraph.graphql.audit.ledger_types import SigningKeyType
from cardgraph.graphql.audit.types import AuditEventType, VerificationType
from cardgraph.graphql.context import Info
from cardgraph.graphql.pagination import Connection, page_request, to_connection
from cardgraph.ledger.signing import Checkpoint
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
        description="Check a card's whole history from storage: every version and status "
        "change re-hashed and bound to its audit event, the audit chain re-hashed, and the "
        "history compared with the card's signed checkpoint; reports the first bad record."
    )
    async def verify_card(
        self,
        info: Info,
        name: str,
        checkpoint: Annotated[
            JSON | None,
            strawberry.argument(
                description="A checkpoint you kept (`Checkpoint.document`): the history it "
                "covers must be unchanged."
            ),
        ] = None,
    ) -> VerificationType:
        given = None
        if checkpoint is not None:
            try:
                given = Checkpoint.from_json(checkpoint)
            except ValueError as error:
                raise ValidationFailedError([FieldProblem("checkpoint", str(error))]) from None
        result = await info.context.services.cards.verify(name, given)
        return VerificationType.from_domain(result)

    @strawberry.field(description="The public key this service's checkpoints verify with.")
    def signing_key(self, info: Info) -> SigningKeyType:
        return SigningKeyType.from_domain(info.context.services.cards.checkpoints.public_key)

    @strawberry.field(
        description="Keys rotated out (`CARDGRAPH_SIGNING_KEYS_RETIRED`): older checkpoints "
        "verify with them; they sign nothing new."
    )
    def retired_signing_keys(self, info: Info) -> list[SigningKeyType]:
        retired = info.context.services.cards.checkpoints.retired_keys
        return [SigningKeyType.from_domain(key) for key in retired]
