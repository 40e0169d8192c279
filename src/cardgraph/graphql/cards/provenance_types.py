"""GraphQL types of where content came from: a section's provenance, a card's staleness."""

from __future__ import annotations

from datetime import datetime

import strawberry

from cardgraph.cards import models
from cardgraph.cards.models import VersionSource

# Registered here, where it is first used (CardVersion.source uses it too).
strawberry.enum(VersionSource, description="What produced a version's content.")


@strawberry.type(
    name="SectionProvenance",
    description="Where one top-level section of a version's content came from: the write "
    "that last set it, and what that write read.",
)
class SectionProvenanceType:
    """One section's origin; inherited unchanged from version to version until a write
    changes the section."""

    section: str = strawberry.field(
        description="The top-level section (SageMaker's snake_case key, e.g. model_overview)."
    )
    set_in_version: int = strawberry.field(
        description="The version whose write set the section as it stands here."
    )
    source: VersionSource = strawberry.field(
        description="What wrote it: typed by hand, autopopulated, ingested, or package sync."
    )
    by: str = strawberry.field(description="Who wrote it (a job acts for whoever started it).")
    at: datetime = strawberry.field(description="When it was written.")
    job_id: str | None = strawberry.field(description="The job that wrote it, if one did.")
    sagemaker_arn: str | None = strawberry.field(
        description="Autopopulated: the ARN of the SageMaker resource described."
    )
    described_at: datetime | None = strawberry.field(
        description="Autopopulated or package sync: when SageMaker was asked (the Describe "
        "call's time)."
    )
    s3_uri: str | None = strawberry.field(
        description="Ingested: where the metrics file was read (s3:// or upload:NAME)."
    )
    etag: str | None = strawberry.field(description="Ingested: the file's ETag when read.")
    sha256: str | None = strawberry.field(description="Ingested: SHA-256 of the file's bytes.")
    model_package_arn: str | None = strawberry.field(
        description="Package sync: the model package version whose details were written."
    )
    copied_from: str | None = strawberry.field(
        description="Package sync: the card and version a new card's section was copied from."
    )
    recorded: bool = strawberry.field(
        description="False for versions written before provenance was kept: then inferred "
        "from the version itself (the section may be older)."
    )

    @classmethod
    def from_domain(cls, entry: models.SectionProvenance) -> SectionProvenanceType:
        details = dict(entry.details)
        described = details.get("describedAt")
        return cls(
            section=entry.section,
            set_in_version=entry.version,
            source=entry.source,
            by=entry.actor,
            at=entry.at,
            job_id=entry.job_id,
            sagemaker_arn=details.get("sagemakerArn"),
            described_at=datetime.fromisoformat(described) if described else None,
            s3_uri=details.get("s3Uri"),
            etag=details.get("etag"),
            sha256=details.get("sha256"),
            model_package_arn=details.get("modelPackageArn"),
            copied_from=details.get("copiedFrom"),
            recorded=entry.recorded,
        )


@strawberry.type(
    name="CardStaleness",
    description="Why a card's approval no longer matches the model it describes.",
)
class CardStalenessType:
    """A stale card's reason."""

    reason: str = strawberry.field(description="What changed, when, and after which approval.")
    since: datetime = strawberry.field(description="When the change was noticed.")
    model_package_arn: str = strawberry.field(description="The model package that changed.")
    approved_version: int = strawberry.field(
        description="The approved version whose approval the change came after."
    )

    @classmethod
    def from_domain(cls, stale: models.Staleness) -> CardStalenessType:
        return cls(
            reason=stale.reason,
            since=stale.since,
            model_package_arn=stale.model_package_arn,
            approved_version=stale.approved_version,
        )
