"""PDF export of one card version, as a job: render once per (version, template), store, link."""

from __future__ import annotations

from typing import Any

from cardgraph.artifacts.writer import ArtifactWriter
from cardgraph.aws.s3 import S3, S3Location, check_bucket_allowed, parse_s3_uri
from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.service import CardService
from cardgraph.clock import utc_now_ms
from cardgraph.errors import NotFoundError
from cardgraph.events.models import CardEvent, CardEventKind
from cardgraph.events.publisher import EventPublisher
from cardgraph.jobs.runner import JobContext
from cardgraph.rendering.html import TEMPLATE_VERSION, PrintedCard, printed_card
from cardgraph.rendering.renderer import PdfRenderer


def pdf_key(card: Card, version: CardVersion, printed: PrintedCard) -> str:
    """Artifact key of a version's PDF: it covers everything the file shows.

    The status, the hashes and every printed word are in `printed`; a PDF made before an
    approval says DRAFT, so it is not the PDF of the approved version.
    """
    return f"pdf:{card.id}:{version.number}:{TEMPLATE_VERSION}:{printed.sha256}"


def pdf_filename(card: Card, version: CardVersion) -> str:
    """File name of a version's PDF."""
    return f"{card.name}-v{version.number}.pdf"


async def render_pdf(renderer: PdfRenderer, printed: PrintedCard) -> bytes:
    """Render a printed card to PDF, generated now, within the renderer's time budget."""
    return await renderer.render(printed.html(utc_now_ms()))


class PdfExport:
    """The EXPORT_CARD_PDF job."""

    def __init__(
        self,
        cards: CardService,
        artifacts: ArtifactWriter,
        events: EventPublisher,
        s3: S3,
        s3_buckets: tuple[str, ...],
        renderer: PdfRenderer,
    ) -> None:
        self._cards = cards
        self._renderer = renderer
        self._artifacts = artifacts
        self._events = events
        self._s3 = s3
        self._s3_buckets = s3_buckets

    def output_location(self, s3_output_path: str | None) -> S3Location | None:
        """Check an `s3OutputPath` (scheme, allow-listed bucket) before any job starts."""
        if s3_output_path is None:
            return None
        location = parse_s3_uri(s3_output_path, "s3OutputPath")
        check_bucket_allowed(location, self._s3_buckets, "s3OutputPath")
        return location

    async def resolve(self, name: str, number: int | None) -> tuple[Card, CardVersion]:
        """The card and the version to export (latest when `number` is None)."""
        card = await self._cards.require_card(name)
        if number is None:
            return card, await self._cards.latest_version(card)
        version = await self._cards.version(card, number)
        if version is None:
            raise NotFoundError(f"card {name!r} has no version {number}")
        return card, version

    async def run(self, context: JobContext) -> dict[str, Any]:
        """Render (or reuse) the PDF and describe it."""
        job = context.job
        card, version = await self.resolve(job.input["name"], job.input.get("version"))
        await context.progress(0.1, f"exporting {card.name} version {version.number}")
        printed = printed_card(card, version, await self._cards.checkpoint(card))
        key = pdf_key(card, version, printed)
        artifact = await self._artifacts.existing(key)
        reused = artifact is not None
        if artifact is None:
            await context.progress(0.3, "rendering")
            data = await render_pdf(self._renderer, printed)
            await context.progress(0.8, "storing")
            artifact = await self._artifacts.save(
                key,
                pdf_filename(card, version),
                "application/pdf",
                data,
                job.id,
                card.name,
                kms_key_id=card.kms_key_id,
            )
        copied: dict[str, str] = {}
        output = self.output_location(job.input.get("s3OutputPath"))
        if output is not None:
            if reused:  # only a copy needs the bytes of a reused render
                data = await self._artifacts.read(artifact.id)
            # As SageMaker's export jobs do: {s3OutputPath}/{card}/{jobId}.pdf
            target = output.child(card.name, f"{job.id}.pdf")
            await context.progress(0.9, f"writing {target.uri}")
            await self._s3.put(target, data, "application/pdf", card.kms_key_id)
            copied["s3Uri"] = target.uri
        await self._events.card_changed(
            CardEvent(
                kind=CardEventKind.EXPORT_READY,
                card_name=card.name,
                version=version.number,
                status=version.status.value,
                at=utc_now_ms(),
                actor=job.requested_by,
                job_id=job.id,
                artifact_id=artifact.id,
            )
        )
        return {
            **self._artifacts.describe(artifact),
            "cardName": card.name,
            "version": version.number,
            "contentSha256": version.content_sha256,
            "reused": reused,
            **copied,
        }
