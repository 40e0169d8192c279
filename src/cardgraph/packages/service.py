"""Linking cards to model package versions, and following the registry (sync jobs)."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

from cardgraph.audit.service import AuditLog
from cardgraph.autopopulate.mapping import model_package_details
from cardgraph.aws.sagemaker import SageMaker
from cardgraph.cards.models import Card, CardStatus, Origin, VersionSource
from cardgraph.cards.service import CardService
from cardgraph.clock import utc_now_ms
from cardgraph.errors import ArchivedError, CardgraphError, ConflictError
from cardgraph.jobs.runner import JobContext
from cardgraph.ledger.bindings import EVERY_SECTION
from cardgraph.metrics.parsing import MetricFileType
from cardgraph.metrics.service import MetricsIngestion, with_evaluation
from cardgraph.packages.models import ModelPackage, details_hash, metric_reports
from cardgraph.packages.repository import ModelPackageRepository
from cardgraph.pagination import Page, PageRequest, page_of
from cardgraph.principals import Principal, Role

logger = logging.getLogger("cardgraph.packages")

INHERITED_SECTIONS = ("intended_uses", "business_details", "additional_information")
SCHEDULER = Principal(
    key_id="scheduler", name="scheduler", role=Role.EDITOR, acting_as="system:package-sync"
)


def card_name_for(group: str, version: int | None) -> str:
    """A valid card name for a package version: `<group>-v<version>`, within 63 characters."""
    suffix = f"-v{version or 0}"
    base = re.sub(r"[^a-zA-Z0-9-]", "-", group).strip("-")[: 63 - len(suffix)].rstrip("-")
    return f"{base or 'package'}{suffix}"


def package_origin(package: ModelPackage) -> Origin:
    """The provenance of what a package wrote into a card: which package, described when."""
    return {
        EVERY_SECTION: {
            "modelPackageArn": package.arn,
            "describedAt": package.synced_at.isoformat(),
        }
    }


class PackageService:
    """The mirror of the model registry and its one-to-one links to cards."""

    def __init__(
        self,
        cards: CardService,
        packages: ModelPackageRepository,
        sagemaker: SageMaker,
        metrics: MetricsIngestion,
        audit: AuditLog,
        auto_create_cards: bool,
    ) -> None:
        self._cards = cards
        self._audit = audit
        self._metrics = metrics
        self._packages = packages
        self._sagemaker = sagemaker
        self._auto_create = auto_create_cards

    async def get(self, arn: str) -> ModelPackage | None:
        """The mirrored package with this ARN."""
        return await self._packages.get(arn)

    async def of_card(self, card_id: str) -> ModelPackage | None:
        """The package a card is linked to."""
        return await self._packages.of_card(card_id)

    async def groups(self) -> list[str]:
        """Every mirrored model package group."""
        return await self._packages.groups()

    async def refresh(
        self, arn: str, actor: Principal = SCHEDULER
    ) -> tuple[ModelPackage, ModelPackage | None]:
        """Describe a package and update the mirror; return it and its previous state."""
        response = await self._sagemaker.describe_model_package(arn)
        details = model_package_details(response)
        package = ModelPackage(
            arn=response.get("ModelPackageArn", arn),
            group_name=response.get("ModelPackageGroupName"),
            version=response.get("ModelPackageVersion"),
            details=details,
            details_sha256=details_hash(details, response.get("ModelMetrics")),
            metrics=response.get("ModelMetrics") or {},
            synced_at=utc_now_ms(),
        )
        previous = await self._packages.upsert(package)
        if previous is not None:  # the upsert kept the link; so does the returned value
            package = dataclasses.replace(
                package, card_id=previous.card_id, card_name=previous.card_name
            )
            if previous.details_sha256 != package.details_sha256:
                await self._package_changed(package, actor)
        return package, previous

    async def _package_changed(self, package: ModelPackage, actor: Principal) -> None:
        """A mirrored package changed: the card documenting it may no longer be approved for
        the model it now describes."""
        if package.card_name is None:
            return
        card = await self._cards.find_card(package.card_name)
        if card is not None and card.id == package.card_id:
            await self._cards.staleness.package_changed(card, package.arn, actor)

    async def link(self, name: str, arn: str, actor: Principal) -> Card:
        """Link a card to a package version (one-to-one) and document the package in it."""
        actor.require(Role.EDITOR, "linking model packages")
        card = await self._cards.require_card(name)
        if (await self._cards.latest_version(card)).status is CardStatus.ARCHIVED:
            raise ArchivedError(f"card {name!r} is archived")
        package, _ = await self.refresh(arn, actor)
        if package.card_id not in (None, card.id):
            raise ConflictError(
                f"model package {package.arn} is already linked to card {package.card_name!r}"
            )
        # One package per card too: the card's previous package is freed first, since the
        # unique index on the link would refuse the card holding two.
        await self._packages.unlink_others(card.id, package.arn)
        if not await self._packages.link(package.arn, card.id, card.name):
            raise ConflictError(f"model package {package.arn} was just linked to another card")
        await self._document(card.name, package, actor, job_id=None)
        await self._audit.record(
            actor, "linkModelPackage", card_name=card.name, details={"modelPackageArn": package.arn}
        )
        return await self._cards.require_card(name)

    async def _document(
        self, card_name: str, package: ModelPackage, actor: Principal, job_id: str | None
    ) -> int | None:
        """Write the package's details (and metric reports) into the card; the new version."""
        card = await self._cards.require_card(card_name)
        latest = await self._cards.latest_version(card)
        content = {**latest.content, "model_package_details": package.details}
        for name, uri, file_type in metric_reports(package.metrics):
            try:
                evaluation = await self._metrics.evaluation_from_s3(
                    name, uri, MetricFileType(file_type)
                )
            except CardgraphError as error:
                # A report cardgraph may not read (bucket not allow-listed, gone, malformed)
                # leaves that evaluation as it was; the package details still update.
                logger.warning("skipping %s of %s: %s", uri, package.arn, error.message)
                continue
            content = with_evaluation(content, evaluation)
        if content == latest.content:
            return None
        version = await self._cards.update_content(
            card_name,
            content,
            actor,
            source=VersionSource.PACKAGE_SYNC,
            job_id=job_id,
            origin=package_origin(package),
        )
        return version.number

    async def page(
        self, group: str | None, request: PageRequest[tuple[str]]
    ) -> Page[ModelPackage, tuple[str]]:
        """Mirrored packages, by ARN."""
        after_arn = request.after[0] if request.after is not None else None
        found = await self._packages.in_group(group, after_arn, request.limit)
        return page_of(request, found, lambda p: (p.arn,), lambda: self._packages.count(group))

    async def sync(self, context: JobContext) -> dict[str, Any]:
        """Follow the registry: refresh every package; update or create the cards concerned."""
        job = context.job
        groups = (
            [job.input["groupName"]]
            if job.input.get("groupName")
            else await self._packages.groups()
        )
        summaries = [
            s for group in groups for s in await self._sagemaker.list_model_packages(group)
        ]
        actor = Principal.for_job(job.id, job.requested_by)
        updated, created = [], []
        for index, summary in enumerate(summaries, start=1):
            package, previous = await self.refresh(summary["ModelPackageArn"], actor)
            if package.card_name and (
                previous is None or previous.details_sha256 != package.details_sha256
            ):
                number = await self._follow(package, actor, f"{job.id}:{package.arn}")
                if number is not None:
                    updated.append({"card": package.card_name, "version": number})
            elif package.card_name is None and previous is None and self._auto_create:
                name = await self._create_card(package, actor)
                if name is not None:
                    created.append({"card": name, "modelPackageArn": package.arn})
            await context.progress(index / max(len(summaries), 1) * 0.95, f"synced {package.arn}")
        return {
            "groups": groups,
            "packages": len(summaries),
            "updatedCards": updated,
            "createdCards": created,
        }

    async def _follow(self, package: ModelPackage, actor: Principal, job_id: str) -> int | None:
        assert package.card_name is not None
        try:
            return await self._document(package.card_name, package, actor, job_id)
        except ArchivedError:
            return None  # an archived card keeps documenting what it documented

    async def _create_card(self, package: ModelPackage, actor: Principal) -> str | None:
        group = package.group_name or "package"
        content: dict[str, Any] = {}
        origin = {"model_package_details": package_origin(package)[EVERY_SECTION]}
        newest = await self._packages.newest_linked_in_group(group)
        if newest is not None and newest.card_name is not None:
            source = await self._cards.find_card(newest.card_name)
            if source is not None:
                latest = await self._cards.latest_version(source)
                content = {k: latest.content[k] for k in INHERITED_SECTIONS if k in latest.content}
                copied = {"copiedFrom": f"{source.name} version {latest.number}"}
                origin.update({section: copied for section in content})
        name = card_name_for(group, package.version)
        try:
            await self._cards.create_card(
                name,
                {**content, "model_package_details": package.details},
                actor,
                source=VersionSource.PACKAGE_SYNC,
                origin=origin,
            )
        except ConflictError:
            return None  # a card of that name exists (a redelivered sync made it)
        card = await self._cards.require_card(name)
        await self._packages.link(package.arn, card.id, card.name)
        return name
