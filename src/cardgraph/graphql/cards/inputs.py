"""GraphQL inputs of card queries and mutations, and their translation to domain values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from cardgraph.cards import models
from cardgraph.cards.content import parse_content_json
from cardgraph.cards.models import CardStatus
from cardgraph.clock import utc_instant
from cardgraph.errors import BadArgumentError, BadRequestError
from cardgraph.graphql.cards.content_inputs import CardContentInput
from cardgraph.graphql.cards.content_mapping import content_from_input
from cardgraph.graphql.cards.content_types import RiskRating
from cardgraph.graphql.cards.status_types import CardSortField, SortDirection
from cardgraph.graphql.jobs.autopopulate import AutopopulateSources

# SageMaker's longest model card and model package group name.
MAX_NAME_CHARS = 63


@strawberry.input(description="Conditions on listed cards; all given conditions must hold.")
class CardFilter:
    """Card list filter."""

    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    status: list[CardStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    risk_rating: list[RiskRating] | None = strawberry.field(
        default=None, description="Any of these risk ratings."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Created strictly after this time."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Created strictly before this time."
    )
    model_package_group: str | None = strawberry.field(
        default=None, description="Documents a model package of this group."
    )
    stale: bool | None = strawberry.field(
        default=None,
        description="True: only cards whose linked model package changed after their "
        "approval; false: only cards that are not stale. Known as of now only.",
    )

    def to_domain(self) -> models.CardFilter:
        """The domain filter (BAD_REQUEST for a name part no card name can contain)."""
        for argument, value in (
            ("filter.nameContains", self.name_contains),
            ("filter.modelPackageGroup", self.model_package_group),
        ):
            # Card and package group names have at most 63 characters: a longer value
            # matches nothing, and would only make the database scan with a huge pattern.
            if value is not None and len(value) > MAX_NAME_CHARS:
                raise BadArgumentError(argument, f"is longer than a name can be ({MAX_NAME_CHARS})")
        return models.CardFilter(
            name_contains=self.name_contains,
            statuses=tuple(self.status or ()),
            risk_ratings=tuple(r.value for r in self.risk_rating or ()),
            created_after=_utc(self.created_after, "filter.createdAfter"),
            created_before=_utc(self.created_before, "filter.createdBefore"),
            model_package_group=self.model_package_group,
            stale=self.stale,
        )


def _utc(at: datetime | None, argument: str) -> datetime | None:
    return utc_instant(at, argument) if at is not None else None


@strawberry.input(description="Order of a card list.")
class CardSort:
    """Card list ordering."""

    field: CardSortField = strawberry.field(default=CardSortField.NAME, description="Sort key.")
    direction: SortDirection = strawberry.field(default=SortDirection.ASC, description="Direction.")

    def to_domain(self) -> models.CardSort:
        """The domain ordering."""
        return models.CardSort(
            field=models.CardSortField(self.field.value),
            descending=self.direction is SortDirection.DESC,
        )


def resolve_content(content: CardContentInput | None, content_json: JSON | None) -> Any:
    """Content from exactly one of the typed input and the JSON form (object or JSON text)."""
    if content is not None and content_json is not None:
        raise BadRequestError("give either `content` or `contentJson`, not both")
    if content is not None:
        return content_from_input(content)
    if isinstance(content_json, str):
        return parse_content_json(content_json)
    return content_json


@strawberry.input(description="Content in either of its two forms (give at most one).")
class ContentForms:
    """The typed and the JSON form of content; shared by every input that carries content."""

    content: CardContentInput | None = strawberry.field(
        default=None, description="Content as typed sections."
    )
    content_json: JSON | None = strawberry.field(
        default=None, description="Content as SageMaker JSON (object or JSON text)."
    )

    def given_content(self) -> Any:
        """The content given, or None when neither form is set."""
        return resolve_content(self.content, self.content_json)


@strawberry.input(description="A new card; its content becomes version 1.")
class CreateCardInput(ContentForms):
    """Create-card input."""

    name: str = strawberry.field(description="Unique name: letters, digits, hyphens (≤ 63).")
    status: CardStatus = strawberry.field(
        default=models.CardStatus.DRAFT, description="Initial status (APPROVED needs approver)."
    )
    kms_key_id: str | None = strawberry.field(
        default=None,
        description="KMS key (id or ARN) that encrypts the card's exports in S3 (SageMaker's "
        "SecurityConfig.KmsKeyId); fixed at creation.",
    )
    autopopulate: AutopopulateSources | None = strawberry.field(
        default=None,
        description="Also fill the new card from SageMaker: an AUTOPOPULATE job starts right "
        "after version 1 (see `Card.jobs`).",
    )

    def resolved_content(self) -> Any:
        """The content given, or an empty card."""
        given = self.given_content()
        return {} if given is None else given


@strawberry.input(description="New content for a card: makes version N+1 unless unchanged.")
class UpdateCardContentInput(ContentForms):
    """Content update input."""

    name: str = strawberry.field(description="Card name.")
    expected_version: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the latest version is this one."
    )

    def resolved_content(self) -> Any:
        """The content given (required)."""
        given = self.given_content()
        if given is None:
            raise BadRequestError("give `content` or `contentJson`")
        return given


@strawberry.input(description="A status change of a card's latest version.")
class SetCardStatusInput:
    """Status change input."""

    name: str = strawberry.field(description="Card name.")
    status: CardStatus = strawberry.field(description="New status.")


@strawberry.input(description="SageMaker-style update: content or status, never both in one call.")
class UpdateCardInput(ContentForms):
    """UpdateModelCard-compatible input."""

    name: str = strawberry.field(description="Card name.")
    status: CardStatus | None = strawberry.field(default=None, description="New status.")
    expected_version: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the latest version is this one."
    )
