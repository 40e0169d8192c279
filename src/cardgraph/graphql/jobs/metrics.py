"""Metrics ingestion mutations: from S3, or from a file uploaded with the request."""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from cardgraph.errors import BadArgumentError
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobType
from cardgraph.jobs.models import JobKind
from cardgraph.metrics import parsing
from cardgraph.metrics.parsing import MetricFileType
from cardgraph.principals import Role

strawberry.enum(
    MetricFileType,
    description="Format of a metrics file: the model card metric schema, a Clarify bias or "
    "explainability report, or a Model Monitor model-quality report.",
)


@strawberry.input(description="Where the evaluation goes, and what it is.")
class EvaluationTarget:
    """Fields shared by both ways of ingesting metrics."""

    name: str = strawberry.field(description="Card name.")
    evaluation_name: str = strawberry.field(
        description="Evaluation to add, or to replace when the card has one of this name."
    )
    metric_type: MetricFileType = strawberry.field(description="Format of the file.")
    evaluation_job_arn: str | None = strawberry.field(
        default=None, description="ARN of the job that produced the file."
    )
    datasets: list[str] | None = strawberry.field(
        default=None, description="Datasets the evaluation used (at most 10)."
    )

    def job_input(self) -> dict[str, Any]:
        """The job input these fields describe."""
        given: dict[str, Any] = {
            "name": self.name,
            "evaluationName": self.evaluation_name,
            "metricType": parsing.MetricFileType(self.metric_type).value,
        }
        if self.evaluation_job_arn:
            given["evaluationJobArn"] = self.evaluation_job_arn
        if self.datasets:
            given["datasets"] = self.datasets
        return given


@strawberry.input(description="A metrics file in S3 to add to a card.")
class IngestMetricsInput(EvaluationTarget):
    """Ingest from S3."""

    s3_uri: str = strawberry.field(description="s3://bucket/key of the file (allow-listed).")


@strawberry.input(description="A metrics file sent with the request (GraphQL multipart).")
class IngestMetricsFileInput(EvaluationTarget):
    """Ingest an uploaded file."""

    file: Upload = strawberry.field(description="The file (JSON, any content type).")


@strawberry.type
class MetricsMutation:
    """Metrics ingestion."""

    @strawberry.mutation(
        description="Read a metrics file from S3 in a worker and add it to the card as an "
        "evaluation (a new version with source `metrics`). Needs editor."
    )
    async def ingest_metrics(self, info: Info, input: IngestMetricsInput) -> JobType:
        services = info.context.services
        services.metrics.check_s3_uri(input.s3_uri)
        card = await services.cards.require_card(input.name)
        job = await services.jobs.start(
            JobKind.INGEST_METRICS,
            {**input.job_input(), "s3Uri": input.s3_uri},
            info.context.actor,
            card_name=card.name,
        )
        return JobType.from_domain(job)

    @strawberry.mutation(
        description="Like ingestMetrics, for a file uploaded with the request (models outside "
        "AWS). Needs editor."
    )
    async def ingest_metrics_file(self, info: Info, input: IngestMetricsFileInput) -> JobType:
        services = info.context.services
        actor = info.context.actor
        # Checked before the upload is stored, not only when the job starts.
        actor.require(Role.EDITOR, "ingesting metrics")
        # strawberry hands Starlette's UploadFile to Starlette apps; a JSON variable in the
        # file's place (no multipart) arrives as whatever value it held.
        if not isinstance(input.file, UploadFile):
            raise BadArgumentError("input.file", "must be a file sent with the request (multipart)")
        file = input.file
        card = await services.cards.require_card(input.name)
        data = await file.read(services.metrics.max_bytes + 1)
        upload = await services.metrics.store_upload(data, file.filename or "", actor)
        job = await services.jobs.start(
            JobKind.INGEST_METRICS,
            {**input.job_input(), "upload": upload},
            actor,
            card_name=card.name,
        )
        return JobType.from_domain(job)
