"""GraphQL types of cards and versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.cards import models
from cardgraph.cards.field_diff import VersionDiff
from cardgraph.cards.models import CardStatus, VersionSource
from cardgraph.cards.provenance import shown_provenance
from cardgraph.clock import utc_now_ms
from cardgraph.errors import missing_version
from cardgraph.graphql.audit.ledger_types import CheckpointType
from cardgraph.graphql.cards.content_mapping import content_to_output
from cardgraph.graphql.cards.content_types import CardContent, RiskRating
from cardgraph.graphql.cards.diff_types import VersionDiffType
from cardgraph.graphql.cards.provenance_types import CardStalenessType, SectionProvenanceType
from cardgraph.graphql.cards.status_types import StatusChange
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


@strawberry.type(name="CardVersion", description="An immutable version of a card's content.")
class CardVersionType:
    """A card version; its content never changes, its status may. Scalars are plain fields
    (read without a resolver call); content is decoded only when asked for."""

    version: strawberry.Private[models.CardVersion]
    # The version before it, when it came in the same page (its diff then needs no read).
    previous: strawberry.Private[models.CardVersion | None] = None

    def _content(self, info: Info) -> CardContent:
        # Each value of typed content is completed one by one (~7 µs): the largest content
        # would hold the event loop for a third of a second.
        limit = info.context.services.settings.graphql_max_typed_values
        check_typed_content(self.version.content_json, limit)
        try:
            return content_to_output(self.version.content)
        except ValueError as error:  # stored content with a value no enum knows: damaged
            record_id = f"{self.version.card_id}:{self.version.number}"
            raise damaged("card version", record_id, "content value", str(error)) from None

    def _content_json(self) -> JSON:
        # The stored canonical JSON, sent as it is: parsing 100,000 characters of numbers
        # only to encode them again held the event loop ~20 ms a version.
        return cast("JSON", RawJson(self.version.content_json))

    number: int = strawberry.field(description="Version number, from 1.")
    card_id: str = strawberry.field(
        description="The card's permanent id, which the ledger records hash (a deleted card's "
        "name can be reused; its id never is)."
    )
    status: CardStatus = strawberry.field(description="Status of this version.")
    content: CardContent = strawberry.field(
        resolver=_content,
        description="The content as typed sections (COST_LIMIT when it holds more values than "
        "the server sends typed; read `contentJson` then).",
    )
    content_json: JSON = strawberry.field(
        resolver=_content_json,
        description="The content as SageMaker's snake_case model card JSON.",
    )
    content_sha256: str = strawberry.field(
        description="SHA-256 of the content's RFC 8785 (JCS) canonical JSON: any JCS library "
        "recomputes it from `contentJson`."
    )
    chain_sha256: str = strawberry.field(
        description="Chain hash: SHA-256 of the RFC 8785 JSON of the version's record (card "
        "id, number, previousSha256, contentSha256, createdAt, createdBy, source, job, first "
        "status); the latest version's chain hash summarises the whole history."
    )
    previous_sha256: str | None = strawberry.field(
        description="Chain hash of the previous version; null for version 1."
    )
    created_at: datetime = strawberry.field(description="When this version was created.")
    created_by: str = strawberry.field(description="Who created this version.")
    source: VersionSource = strawberry.field(description="What produced this version's content.")
    job_id: str | None = strawberry.field(
        description="The job that wrote this version, if one did."
    )

    @classmethod
    def from_domain(
        cls, version: models.CardVersion, previous: models.CardVersion | None = None
    ) -> CardVersionType:
        return cls(
            version=version,
            previous=previous,
            number=version.number,
            card_id=version.card_id,
            status=version.status,
            content_sha256=version.content_sha256,
            chain_sha256=version.chain_sha256,
            previous_sha256=version.previous_chain_sha256,
            created_at=version.created_at,
            created_by=version.created_by,
            source=version.source,
            job_id=version.job_id,
        )

    @strawberry.field(description="Every status change of this version, oldest first.")
    def status_history(self) -> list[StatusChange]:
        return [
            StatusChange(
                from_status=c.from_status,
                to_status=c.to_status,
                changed_by=c.changed_by,
                changed_at=c.changed_at,
                sha256=c.sha256,
            )
            for c in self.version.status_history
        ]

    @strawberry.field(
        description="Where each top-level section of the content came from, by section name."
    )
    def provenance(self) -> list[SectionProvenanceType]:
        return [SectionProvenanceType.from_domain(p) for p in shown_provenance(self.version)]

    @strawberry.field(
        description="What changed from the previous version's content; null for version 1."
    )
    async def diff(self, info: Info) -> VersionDiffType | None:
        version = self.version
        if version.number == 1:
            return None
        previous = self.previous
        if previous is None:  # the first of a page, or a version read alone
            key = (version.card_id, version.card_name, version.number - 1)
            previous = await info.context.versions_by_key.load(key)
        if previous is None:
            raise missing_version(version.card_name, version.number - 1)
        return VersionDiffType.from_domain(VersionDiff(previous, version))


@strawberry.type(name="Card", description="A model card: a name and its versions.")
class CardType:
    """A card; fields other than versions summarise its latest version."""

    card: strawberry.Private[models.Card]

    def _risk_rating(self) -> RiskRating | None:
        if not self.card.risk_rating:
            return None
        return stored_enum(
            RiskRating,
            self.card.risk_rating,
            record="card",
            record_id=self.card.id,
            field="risk rating",
        )

    name: str = strawberry.field(description="Unique card name (SageMaker rules).")
    arn: str = strawberry.field(description="ARN-like identifier of the card.")
    status: CardStatus = strawberry.field(description="Status of the latest version.")
    # A resolver: a stored rating no enum member knows is reported on this field alone.
    risk_rating: RiskRating | None = strawberry.field(
        resolver=_risk_rating, description="Risk rating of the latest version, if set."
    )
    created_at: datetime = strawberry.field(description="When the card was created.")
    kms_key_id: str | None = strawberry.field(
        description="KMS key encrypting the card's exports in S3, if any."
    )
    created_by: str = strawberry.field(description="Who created the card.")
    updated_at: datetime = strawberry.field(
        description="When the card last changed (content or status)."
    )
    as_of: datetime | None = strawberry.field(
        default=None,
        description="The instant this card answers for (the `asOf` asked, in UTC to the "
        "millisecond); null: now. As of an instant, status, riskRating, updatedAt, "
        "latestVersion, version, versions and approvedVersion are as they stood then; "
        "stale, checkpoint, jobs and modelPackage are as they are now.",
    )

    @classmethod
    def from_domain(cls, card: models.Card, as_of: datetime | None = None) -> CardType:
        return cls(
            card=card,
            name=card.name,
            arn=card.arn,
            status=card.status,
            created_at=card.created_at,
            kms_key_id=card.kms_key_id,
            created_by=card.created_by,
            updated_at=card.updated_at,
            as_of=as_of,
        )

    @strawberry.field(
        description="Set when a linked model package changed after the card was approved: "
        "the approval no longer matches the model the card describes. Cleared when a version "
        "is approved again. Null: not stale."
    )
    def stale(self) -> CardStalenessType | None:
        found = self.card.stale
        return CardStalenessType.from_domain(found) if found else None

    @strawberry.field(
        description="The card's signed head: the checkpoint signed after its last write."
    )
    async def checkpoint(self, info: Info) -> CheckpointType | None:
        found = await info.context.services.cards.checkpoint(self.card)
        return CheckpointType.from_domain(found) if found else None

    @strawberry.field(description="The latest version.")
    async def latest_version(self, info: Info) -> CardVersionType:
        if self.as_of is not None:
            then = await info.context.services.cards.as_of.latest_version(self.card, self.as_of)
            return CardVersionType.from_domain(then)
        cached = info.context.services.cards.cached_latest_version(self.card)
        if cached is not None:  # the common case skips the loader's scheduling
            return CardVersionType.from_domain(cached)
        return CardVersionType.from_domain(await info.context.latest_versions.load(self.card))

    @strawberry.field(description="One version by number; null if it does not exist.")
    async def version(self, info: Info, number: int) -> CardVersionType | None:
        cards = info.context.services.cards
        if self.as_of is not None:
            found = await cards.as_of.version(self.card, number, self.as_of)
        else:
            found = await cards.version(self.card, number)
        return CardVersionType.from_domain(found) if found else None

    @strawberry.field(
        description="The newest version that was APPROVED (now, or at `asOf`), with who "
        "approved it and when in its status history; null if none was."
    )
    async def approved_version(self, info: Info) -> CardVersionType | None:
        cards = info.context.services.cards
        at = self.as_of if self.as_of is not None else utc_now_ms()
        found = await cards.as_of.approved_version(self.card, at)
        return CardVersionType.from_domain(found) if found else None

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
        return await to_connection(info, page, JobType.from_domain)

    @strawberry.field(description="The model package version this card documents, if linked.")
    async def model_package(
        self, info: Info
    ) -> Annotated[ModelPackageType, strawberry.lazy("cardgraph.graphql.packages.types")] | None:
        from cardgraph.graphql.packages.types import ModelPackageType

        found = await info.context.services.packages.of_card(self.card.id)
        return ModelPackageType.from_domain(found) if found else None

    @strawberry.field(description="All versions, oldest first.")
    async def versions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CardVersionType]:
        request = await page_request(info, VERSIONS, first, after)
        cards = info.context.services.cards
        if self.as_of is not None:
            page = await cards.as_of.versions(self.card, request, self.as_of)
        else:
            page = await cards.versions(self.card, request)
        before = {version.number: version for version, _ in page.items}
        return await to_connection(
            info, page, lambda v: CardVersionType.from_domain(v, before.get(v.number - 1))
        )
