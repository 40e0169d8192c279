"""AUTOPOPULATE: describe SageMaker resources, fill a card's empty fields, one new version."""

from __future__ import annotations

import dataclasses
from typing import Any

from cardgraph.autopopulate import mapping
from cardgraph.autopopulate.merge import fill_empty
from cardgraph.aws.sagemaker import SageMaker
from cardgraph.cards.models import Origin, VersionSource
from cardgraph.cards.service import CardService
from cardgraph.clock import utc_now_ms
from cardgraph.errors import BadRequestError
from cardgraph.jobs.runner import JobContext
from cardgraph.principals import Principal

SOURCES = ("modelName", "trainingJobName", "modelPackageArn")


def sources_of(given: dict[str, Any]) -> dict[str, str]:
    """The SageMaker sources named in a request; BAD_REQUEST when there is none."""
    sources = {key: given[key] for key in SOURCES if given.get(key)}
    if not sources:
        raise BadRequestError("name at least one of modelName, trainingJobName, modelPackageArn")
    return sources


class Autopopulation:
    """Maps SageMaker's view of a model into its card without overwriting people's words."""

    def __init__(self, cards: CardService, sagemaker: SageMaker) -> None:
        self._cards = cards
        self._sagemaker = sagemaker

    async def describe(self, sources: dict[str, str]) -> dict[str, Any]:
        """Content proposed by SageMaker for the given sources."""
        proposed, _ = await self.described(sources)
        return proposed

    async def described(self, sources: dict[str, str]) -> tuple[dict[str, Any], Origin]:
        """Content proposed by SageMaker for the given sources, and per section the ARN of
        what was described and when (its provenance)."""
        proposed: dict[str, Any] = {}
        origin: Origin = {}

        def note(section: str, arn: str | None) -> None:
            origin[section] = {"sagemakerArn": arn or "", "describedAt": utc_now_ms().isoformat()}

        if "modelName" in sources:
            model = await self._sagemaker.describe_model(sources["modelName"])
            proposed["model_overview"] = mapping.model_overview(model)
            note("model_overview", model.get("ModelArn"))
        if "trainingJobName" in sources:
            job = await self._sagemaker.describe_training_job(sources["trainingJobName"])
            proposed["training_details"] = mapping.training_details(job)
            note("training_details", job.get("TrainingJobArn"))
        if "modelPackageArn" in sources:
            package = await self._sagemaker.describe_model_package(sources["modelPackageArn"])
            proposed["model_package_details"] = mapping.model_package_details(package)
            note("model_package_details", package.get("ModelPackageArn"))
        return proposed, origin

    async def run(self, context: JobContext) -> dict[str, Any]:
        """Describe, merge into the latest content, and write one version if anything changed."""
        job = context.job
        sources = sources_of(job.input)
        await context.progress(0.2, f"describing {', '.join(sources.values())}")
        proposed, origin = await self.described(sources)
        card = await self._cards.require_card(job.input["name"])
        latest = await self._cards.latest_version(card)
        merged, conflicts = fill_empty(latest.content, proposed)
        await context.progress(0.7, f"{len(conflicts)} field(s) kept as written")
        version = latest
        if merged != latest.content:
            version = await self._cards.update_content(
                card.name,
                merged,
                Principal.for_job(job.id, job.requested_by),
                source=VersionSource.AUTOPOPULATE,
                job_id=job.id,
                origin=origin,
            )
        return {
            "cardName": card.name,
            "version": version.number,
            "changed": version.number != latest.number,
            "conflicts": [dataclasses.asdict(c) for c in conflicts],
            "sources": sources,
        }
