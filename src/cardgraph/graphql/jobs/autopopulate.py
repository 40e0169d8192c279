"""Autopopulation from SageMaker: a mutation, and the sources createCard also accepts."""

from __future__ import annotations

from typing import Any

import strawberry

from cardgraph.autopopulate.service import sources_of
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.jobs.models import JobKind


@strawberry.input(description="SageMaker resources to fill a card from (at least one).")
class AutopopulateSources:
    """Where autopopulated content comes from."""

    model_name: str | None = strawberry.field(
        default=None, description="SageMaker model: its ARN, artifacts and container images."
    )
    training_job_name: str | None = strawberry.field(
        default=None,
        description="Training job: its ARN, image, datasets, final metrics, hyper-parameters.",
    )
    model_package_arn: str | None = strawberry.field(
        default=None, description="Model package version: `model_package_details`."
    )

    def job_input(self) -> dict[str, Any]:
        """The sources as job input (checked: at least one)."""
        return sources_of(
            {
                "modelName": self.model_name,
                "trainingJobName": self.training_job_name,
                "modelPackageArn": self.model_package_arn,
            }
        )


@strawberry.input(description="A card to fill from SageMaker.")
class AutopopulateCardInput(AutopopulateSources):
    """autopopulateCard input."""

    name: str = strawberry.field(description="Card name.")


async def start_autopopulation(info: Info, name: str, sources: AutopopulateSources) -> JobType:
    """Start an AUTOPOPULATE job for a card."""
    services = info.context.services
    job_input = {"name": name, **sources.job_input()}
    card = await services.cards.require_card(name)
    job = await services.jobs.start(
        JobKind.AUTOPOPULATE, job_input, info.context.actor, card_name=card.name
    )
    return JobType.from_domain(job)


@strawberry.type
class AutopopulateMutation:
    """Autopopulation."""

    @strawberry.mutation(
        description="Fill the card's empty fields from SageMaker in a worker: one new version "
        "(source AUTOPOPULATE), none if nothing changed; fields already holding another value "
        "keep it and are listed as conflicts in the job result. Needs editor."
    )
    async def autopopulate_card(self, info: Info, input: AutopopulateCardInput) -> JobType:
        return await start_autopopulation(info, input.name, input)
