"""GraphQL enums and types a card's lists and statuses share: status, sort orders, a status
change."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from cardgraph.cards.models import CardStatus

strawberry.enum(
    CardStatus,
    description="Review status: DRAFT → PENDING_REVIEW → APPROVED (or back to DRAFT from "
    "review); any status → ARCHIVED.",
)


@strawberry.enum(description="Fields cards can be sorted by.")
class CardSortField(Enum):
    """Card sort keys."""

    NAME = "name"
    CREATED = "created_at"
    UPDATED = "updated_at"


@strawberry.enum(description="Sort direction.")
class SortDirection(Enum):
    """Ascending or descending."""

    ASC = "asc"
    DESC = "desc"


@strawberry.type(description="One status change of a version.")
class StatusChange:
    """Who changed a version's status, from what to what, and when."""

    from_status: CardStatus | None = strawberry.field(
        description="Status before the change; null when the version was created."
    )
    to_status: CardStatus = strawberry.field(description="Status after the change.")
    changed_by: str = strawberry.field(description="Who made the change.")
    changed_at: datetime = strawberry.field(description="When the change was made.")
    sha256: str = strawberry.field(
        description="Ledger hash of the change: SHA-256 of the RFC 8785 JSON of its record "
        "(card, version, contentSha256, the previous change's hash, from, to, by, at); the "
        "first change's is the version's chainSha256."
    )
