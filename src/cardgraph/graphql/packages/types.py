"""GraphQL type of a mirrored model package version."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.graphql.context import Info
from cardgraph.packages import models

if TYPE_CHECKING:
    from cardgraph.graphql.cards.types import CardType


@strawberry.type(
    name="ModelPackage", description="A model package version of the SageMaker Model Registry."
)
class ModelPackageType:
    """A mirrored package and its card."""

    package: strawberry.Private[models.ModelPackage]
    arn: str = strawberry.field(description="Model package version ARN.")
    group_name: str | None = strawberry.field(description="Model package group.")
    version: int | None = strawberry.field(description="Version within the group.")
    approval_status: str | None = strawberry.field(description="Approval status in the registry.")
    details: JSON = strawberry.field(description="The package as `model_package_details` content.")
    synced_at: datetime = strawberry.field(
        description="When cardgraph last read the package from the registry."
    )

    @classmethod
    def from_domain(cls, package: models.ModelPackage) -> ModelPackageType:
        return cls(
            package=package,
            arn=package.arn,
            group_name=package.group_name,
            version=package.version,
            approval_status=package.approval_status,
            details=cast("JSON", package.details),
            synced_at=package.synced_at,
        )

    @strawberry.field(description="The card documenting this package version, if any.")
    async def card(
        self, info: Info
    ) -> Annotated[CardType, strawberry.lazy("cardgraph.graphql.cards.types")] | None:
        from cardgraph.graphql.cards.types import CardType

        if self.package.card_name is None:
            return None
        found = await info.context.services.cards.find_card(self.package.card_name)
        return CardType.from_domain(found) if found else None
