"""GraphQL types of cards and versions."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.cards import models
from cardgraph.cards.models import CardStatus, VersionSource
from cardgraph.graphql.cards.content_mapping import content_to_output
from cardgraph.graphql.cards.content_types import CardContent, RiskRating
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.graphql.limits import check_typed_content
from cardgraph.graphql.pagination import Connection, page_request, to_connection
from cardgraph.graphql.raw_json import RawJson
from cardgraph.jobs.models import JobFilter
from cardgraph.pagination import JOBS, VERSIONS
from cardgraph.storage.stored_values import damaged, stored_enum

if TYPE_CHECKING:
    from cardgraph.graphql.packages.types import ModelPackageType

strawberry.enum(
    CardStatus,
    description="Review status: DRAFT → PENDING_REVIEW → APPROVED (or back to DRAFT from "
    "review); any status → ARCHIVED.",
)
strawberry.enum(VersionSource, description="What produced a version's content.")


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


@strawberry.type(name="CardVersion", description="An immutable version of a card's content.")
class CardVersionType:
    """A card version; its content never changes, its status may."""

    version: strawberry.Private[models.CardVersion]

    @strawberry.field(description="Version number, from 1.")
    def number(self) -> int:
        return self.version.number

    @strawberry.field(description="Status of this version.")
    def status(self) -> CardStatus:
        return self.version.status

    @strawberry.field(
        description="The content as typed sections (COST_LIMIT when it holds more values than "
        "the server sends typed; read `contentJson` then)."
    )
    def content(self, info: Info) -> CardContent:
        # Each value of typed content is completed one by one (~7 µs): the largest content
        # would hold the event loop for a third of a second.
        limit = info.context.services.settings.graphql_max_typed_values
        check_typed_content(self.version.content_json, limit)
        try:
            return content_to_output(self.version.content)
        except ValueError as error:  # stored content with a value no enum knows: damaged
            record_id = f"{self.version.card_id}:{self.version.number}"
            raise damaged("card version", record_id, "content value", str(error)) from None

    @strawberry.field(description="The content as SageMaker's snake_case model card JSON.")
    def content_json(self) -> JSON:
        # The stored canonical JSON, sent as it is: parsing 100,000 characters of numbers
        # only to encode them again held the event loop ~20 ms a version.
        return cast("JSON", RawJson(self.version.content_json))

    @strawberry.field(description="SHA-256 of the canonical content JSON.")
    def content_sha256(self) -> str:
        return self.version.content_sha256

    @strawberry.field(
        description="Chain hash: SHA-256(previous version's chain hash ‖ contentSha256); "
        "the latest version's chain hash summarises the whole history."
    )
    def chain_sha256(self) -> str:
        return self.version.chain_sha256

    @strawberry.field(description="Chain hash of the previous version; null for version 1.")
    def previous_sha256(self) -> str | None:
        return self.version.previous_chain_sha256

    @strawberry.field(description="When this version was created.")
    def created_at(self) -> datetime:
        return self.version.created_at

    @strawberry.field(description="Who created this version.")
    def created_by(self) -> str:
        return self.version.created_by

    @strawberry.field(description="What produced this version's content.")
    def source(self) -> VersionSource:
        return self.version.source

    @strawberry.field(description="Every status change of this version, oldest first.")
    def status_history(self) -> list[StatusChange]:
        return [
            StatusChange(
                from_status=c.from_status,
                to_status=c.to_status,
                changed_by=c.changed_by,
                changed_at=c.changed_at,
            )
            for c in self.version.status_history
        ]


@strawberry.type(name="Card", description="A model card: a name and its versions.")
class CardType:
    """A card; fields other than versions summarise its latest version."""

    card: strawberry.Private[models.Card]

    @strawberry.field(description="Unique card name (SageMaker rules).")
    def name(self) -> str:
        return self.card.name

    @strawberry.field(description="ARN-like identifier of the card.")
    def arn(self) -> str:
        return self.card.arn

    @strawberry.field(description="Status of the latest version.")
    def status(self) -> CardStatus:
        return self.card.status

    @strawberry.field(description="Risk rating of the latest version, if set.")
    def risk_rating(self) -> RiskRating | None:
        if not self.card.risk_rating:
            return None
        return stored_enum(
            RiskRating,
            self.card.risk_rating,
            record="card",
            record_id=self.card.id,
            field="risk rating",
        )

    @strawberry.field(description="When the card was created.")
    def created_at(self) -> datetime:
        return self.card.created_at

    @strawberry.field(description="KMS key encrypting the card's exports in S3, if any.")
    def kms_key_id(self) -> str | None:
        return self.card.kms_key_id

    @strawberry.field(description="Who created the card.")
    def created_by(self) -> str:
        return self.card.created_by

    @strawberry.field(description="When the card last changed (content or status).")
    def updated_at(self) -> datetime:
        return self.card.updated_at

    @strawberry.field(description="The latest version.")
    async def latest_version(self, info: Info) -> CardVersionType:
        cached = info.context.services.cards.cached_latest_version(self.card)
        if cached is not None:  # the common case skips the loader's scheduling
            return CardVersionType(version=cached)
        return CardVersionType(version=await info.context.latest_versions.load(self.card))

    @strawberry.field(description="One version by number; null if it does not exist.")
    async def version(self, info: Info, number: int) -> CardVersionType | None:
        found = await info.context.services.cards.version(self.card, number)
        return CardVersionType(version=found) if found else None

    @strawberry.field(
        description="Jobs about this card (exports, metrics, autopopulation), newest first."
    )
    async def jobs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[JobType]:
        request = await page_request(info, JOBS, first, after)
        page = await info.context.services.jobs.list_jobs(
            JobFilter(card_name=self.card.name), request
        )
        return await to_connection(info, page, lambda j: JobType(job=j))

    @strawberry.field(description="The model package version this card documents, if linked.")
    async def model_package(
        self, info: Info
    ) -> Annotated[ModelPackageType, strawberry.lazy("cardgraph.graphql.packages.types")] | None:
        from cardgraph.graphql.packages.types import ModelPackageType

        found = await info.context.services.packages.of_card(self.card.id)
        return ModelPackageType(package=found) if found else None

    @strawberry.field(description="All versions, oldest first.")
    async def versions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CardVersionType]:
        request = await page_request(info, VERSIONS, first, after)
        page = await info.context.services.cards.versions(self.card, request)
        return await to_connection(info, page, lambda v: CardVersionType(version=v))
