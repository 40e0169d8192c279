"""EXPORT_CARDS: plan the parts, export each part in any worker process, zip when all are in."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from cardgraph.artifacts.writer import ArtifactWriter
from cardgraph.cards.models import CardSort
from cardgraph.cards.service import CardService
from cardgraph.clock import utc_now_ms
from cardgraph.errors import CardgraphError
from cardgraph.export.formats import (
    ExportFormat,
    filter_from_json,
    history_document,
    version_document,
)
from cardgraph.export.pdf_export import pdf_filename, pdf_key, render_pdf
from cardgraph.jobs import names
from cardgraph.jobs.models import Job, JobError, JobState, Lease, TaskCall
from cardgraph.jobs.queue import JobQueue
from cardgraph.jobs.runner import JobRunner
from cardgraph.pagination import PageRequest
from cardgraph.rendering.html import printed_card
from cardgraph.rendering.renderer import PdfRenderer

PAGE = 100


class BatchExport:
    """The three steps of a batch export, each an idempotent task."""

    def __init__(
        self,
        cards: CardService,
        runner: JobRunner,
        artifacts: ArtifactWriter,
        queue: JobQueue | None,
        part_size: int,
        renderer: PdfRenderer,
    ) -> None:
        self._cards = cards
        self._renderer = renderer
        self._runner = runner
        self._artifacts = artifacts
        self._queue = queue
        self._part_size = part_size

    async def plan(self, job_id: str) -> None:
        """Claim the job, list the matching cards and send one task per part."""
        async with self._runner.leased(job_id) as held:
            if held is None:
                return
            job, lease = held
            card_filter = filter_from_json(job.input["filter"])
            names_found: list[str] = []
            request = PageRequest(self._cards.cursor_kind(CardSort()), PAGE)
            while True:
                page = await self._cards.cards(card_filter, CardSort(), request)
                names_found += [card.name for card, _ in page.items]
                if not page.has_next_page:
                    break
                request = PageRequest(request.kind, PAGE, page.items[-1][1])
            parts = [
                names_found[i : i + self._part_size]
                for i in range(0, len(names_found), self._part_size)
            ]
            plan = {"parts": len(parts), "cards": len(names_found)}
            if await self._runner.record_part(lease, "plan", plan) is None:
                return  # cancelled, or taken over by a re-sent plan
            await self._report(lease, 0, len(names_found), "planned")
            if not parts:
                await self.assemble(job_id, lease)
                return
            assert self._queue is not None, "batch export needs a broker"
            for index, part in enumerate(parts):
                await self._queue.send_task(names.EXPORT_CARDS_PART, [job_id, index, part])
            # Each part holds a lease of its own from now on.
            await self._runner.release(lease)

    async def export_part(self, job_id: str, index: int, card_names: list[str]) -> None:
        """Export the cards of one part, then zip everything if this was the last part."""
        part_task = names.EXPORT_CARDS_PART
        again = TaskCall(part_task, names.QUEUE_OF_TASK[part_task], (job_id, index, card_names))
        async with self._runner.leased(job_id, f"part{index}", again) as held:
            if held is None:
                return  # the job is over, or another task holds this part
            job, lease = held
            if str(index) not in job.parts.get("entries", {}):  # not done by an earlier try
                updated = await self._export_cards(job, lease, index, card_names)
                if updated is None:
                    return
                job = updated
            if len(job.parts.get("entries", {})) == job.parts["plan"]["parts"]:
                await self.assemble(job_id, lease)  # under the lease: a crash here is redone
            else:
                await self._runner.release(lease)

    async def _export_cards(
        self, job: Job, lease: Lease, index: int, card_names: list[str]
    ) -> Job | None:
        export_format = ExportFormat(job.input["format"])
        entries = []
        try:
            for done, name in enumerate(card_names, start=1):
                entries.append(await self._export_card(job, name, export_format))
                updated = await self._runner.record_part(lease, f"progress.{index}", done)
                if updated is None:
                    return None  # cancelled, failed elsewhere, or this part was taken over
                await self._report(
                    lease, _cards_done(updated), updated.parts["plan"]["cards"], f"exported {name}"
                )
        except CardgraphError as error:
            await self._runner.fail(job.id, JobError(error.code, error.message), lease.fence())
            return None
        return await self._runner.record_part(lease, f"entries.{index}", entries)

    async def _export_card(
        self, job: Job, name: str, export_format: ExportFormat
    ) -> dict[str, Any]:
        card = await self._cards.require_card(name)
        version = await self._cards.latest_version(card)
        # Keys cover everything each file shows (the status too), so a file is reused only
        # while it would come out the same.
        checkpoint = await self._cards.checkpoint(card)
        if export_format is ExportFormat.PDF:
            printed = printed_card(card, version, checkpoint)
            key, filename, content_type = (
                pdf_key(card, version, printed),
                pdf_filename(card, version),
                "application/pdf",
            )
        else:
            if export_format is ExportFormat.HISTORY:
                document = history_document(await self._cards.history_bundle(card))
                filename = f"{card.name}-history.json"
            else:
                document = version_document(card, version, checkpoint)
                filename = f"{card.name}-v{version.number}.json"
            digest = hashlib.sha256(document).hexdigest()
            key = f"{export_format.value.lower()}:{card.id}:{version.number}:{digest}"
            content_type = "application/json"
        artifact = await self._artifacts.existing(key)
        if artifact is None:
            data = (
                await render_pdf(self._renderer, printed)
                if export_format is ExportFormat.PDF
                else document
            )
            artifact = await self._artifacts.save(
                key, filename, content_type, data, job.id, card.name, kms_key_id=card.kms_key_id
            )
        return {
            "card": card.name,
            "version": version.number,
            "status": version.status.value,
            "file": filename,
            "sha256": artifact.sha256,
            "artifactId": artifact.id,
        }

    async def assemble(self, job_id: str, lease: Lease) -> None:
        """Zip every exported file with a manifest and finish the job (once, under `lease`)."""
        job = await self._runner.job(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return
        entries = [
            entry
            for _, part in sorted(
                job.parts.get("entries", {}).items(), key=lambda item: int(item[0])
            )
            for entry in part
        ]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:
                archive.writestr(entry["file"], await self._artifacts.read(entry["artifactId"]))
            manifest = {
                "job": job_id,
                "format": job.input["format"],
                "generated_at": utc_now_ms().isoformat(),
                "cards": [
                    {k: e[k] for k in ("card", "version", "status", "file", "sha256")}
                    for e in entries
                ],
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        artifact = await self._artifacts.save(
            f"zip:{job_id}",
            f"cards-{job_id[:8]}.zip",
            "application/zip",
            buffer.getvalue(),
            job_id,
            None,
        )
        result = {
            **self._artifacts.describe(artifact),
            "cards": len(entries),
            "format": job.input["format"],
        }
        await self._runner.succeed(job_id, result, lease)

    async def _report(self, lease: Lease, done: int, total: int, message: str) -> None:
        fraction = done / total if total else 1.0
        await self._runner.report(lease, round(fraction * 0.95, 4), f"{message} ({done}/{total})")


def _cards_done(job: Job) -> int:
    return sum(int(n) for n in job.parts.get("progress", {}).values())
