"""Export mutations: start a single-card PDF export or a batch export, as jobs."""

from __future__ import annotations

import strawberry

from cardgraph.export import formats
from cardgraph.export.formats import ExportFormat, filter_to_json
from cardgraph.graphql.cards.inputs import CardFilter
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.jobs.models import JobKind

strawberry.enum(ExportFormat, description="File format of each card.")


@strawberry.type
class ExportMutation:
    """Export mutations."""

    @strawberry.mutation(
        description="Render a card version (latest by default) to PDF in a worker; the job's "
        "result links the file. Archived cards can be exported. Needs editor."
    )
    async def export_card_pdf(
        self, info: Info, name: str, version: int | None = None, s3_output_path: str | None = None
    ) -> JobType:
        services = info.context.services
        services.pdf_export.output_location(s3_output_path)
        card, found = await services.pdf_export.resolve(name, version)
        job_input: dict[str, object] = {"name": card.name, "version": found.number}
        if s3_output_path is not None:
            job_input["s3OutputPath"] = s3_output_path
        job = await services.jobs.start(
            JobKind.EXPORT_CARD_PDF, job_input, info.context.actor, card_name=card.name
        )
        return JobType.from_domain(job)

    @strawberry.mutation(
        description="Export the latest version of every matching card into one zip with a "
        "manifest.json, spread over the workers. Needs editor."
    )
    async def export_cards(
        self,
        info: Info,
        format: ExportFormat,
        filter: CardFilter | None = None,
    ) -> JobType:
        card_filter = (filter or CardFilter()).to_domain()
        job_input = {
            "filter": filter_to_json(card_filter),
            "format": formats.ExportFormat(format).value,
        }
        job = await info.context.services.jobs.start(
            JobKind.EXPORT_CARDS, job_input, info.context.actor
        )
        return JobType.from_domain(job)
