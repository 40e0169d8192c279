"""Model package queries and mutations."""

from __future__ import annotations

import strawberry

from cardgraph.graphql.cards.types import CardType
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.graphql.packages.types import ModelPackageType
from cardgraph.graphql.pagination import Connection, page_request, to_connection
from cardgraph.jobs.models import JobKind
from cardgraph.pagination import PACKAGES


@strawberry.type
class PackageQuery:
    """Model package queries."""

    @strawberry.field(description="A mirrored model package version by ARN.")
    async def model_package(self, info: Info, arn: str) -> ModelPackageType | None:
        found = await info.context.services.packages.get(arn)
        return ModelPackageType.from_domain(found) if found else None

    @strawberry.field(description="Mirrored model package versions, of one group or all.")
    async def model_packages(
        self,
        info: Info,
        group_name: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ModelPackageType]:
        request = await page_request(info, PACKAGES, first, after)
        page = await info.context.services.packages.page(group_name, request)
        return await to_connection(info, page, ModelPackageType.from_domain)


@strawberry.type
class PackageMutation:
    """Model package mutations."""

    @strawberry.mutation(
        description="Link a card to a model package version (one card per package version: "
        "CONFLICT when another card holds it); the card then documents the package in "
        "`model_package_details`. Needs editor."
    )
    async def link_model_package(self, info: Info, name: str, model_package_arn: str) -> CardType:
        card = await info.context.services.packages.link(
            name, model_package_arn, info.context.actor
        )
        return CardType.from_domain(card)

    @strawberry.mutation(
        description="Read a package group (or every known group) from the registry in a "
        "worker; linked cards whose package changed get a new version. Needs editor."
    )
    async def sync_model_packages(self, info: Info, group_name: str | None = None) -> JobType:
        job = await info.context.services.jobs.start(
            JobKind.SYNC_MODEL_PACKAGES, {"groupName": group_name}, info.context.actor
        )
        return JobType.from_domain(job)
