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

    @strawberry.field(description="Model package version ARN.")
    def arn(self) -> str:
        return self.package.arn

    @strawberry.field(description="Model package group.")
    def group_name(self) -> str | None:
        return self.package.group_name

    @strawberry.field(description="Version within the group.")
    def version(self) -> int | None:
        return self.package.version

    @strawberry.field(description="Approval status in the registry.")
    def approval_status(self) -> str | None:
        return self.package.approval_status

    @strawberry.field(description="The package as `model_package_details` content.")
    def details(self) -> JSON:
        return cast("JSON", self.package.details)

    @strawberry.field(description="When cardgraph last read the package from the registry.")
    def synced_at(self) -> datetime:
        return self.package.synced_at

    @strawberry.field(description="The card documenting this package version, if any.")
    async def card(
        self, info: Info
    ) -> Annotated[CardType, strawberry.lazy("cardgraph.graphql.cards.types")] | None:
        from cardgraph.graphql.cards.types import CardType

        if self.package.card_name is None:
            return None
        found = await info.context.services.cards.find_card(self.package.card_name)
        return CardType(card=found) if found else None
