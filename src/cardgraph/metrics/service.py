"""INGEST_METRICS: read a metrics file (S3 or upload), parse it, add it to a card as a version."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from cardgraph.artifacts.models import UPLOAD_PREFIX
from cardgraph.artifacts.writer import ArtifactWriter
from cardgraph.aws.s3 import S3, check_bucket_allowed, parse_s3_uri
from cardgraph.cards.models import VersionSource
from cardgraph.cards.service import CardService
from cardgraph.errors import FieldProblem, NotFoundError, ValidationFailedError
from cardgraph.jobs.runner import JobContext
from cardgraph.metrics.parsing import MetricFileType, parse_metric_file
from cardgraph.principals import Principal


@dataclass(frozen=True, slots=True)
class MetricsFile:
    """Bytes of a metrics file and where they came from."""

    data: bytes
    source_uri: str
    etag: str

    @property
    def sha256(self) -> str:
        """SHA-256 of the bytes."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def origin(self) -> dict[str, str]:
        """Where the file came from, as a version's provenance records it."""
        return {"s3Uri": self.source_uri, "etag": self.etag, "sha256": self.sha256}


def evaluation_entry(name: str, source: MetricsFile, file_type: MetricFileType) -> dict[str, Any]:
    """An `evaluation_details` entry from a parsed file, recording where the file came from."""
    return {
        "name": name,
        "metric_groups": parse_metric_file(source.data, file_type),
        "metadata": {
            "source_uri": source.source_uri[:1024],
            "source_etag": source.etag,
            "source_sha256": source.sha256,
            "metric_file_type": file_type.value,
        },
    }


def with_evaluation(content: dict[str, Any], evaluation: dict[str, Any]) -> dict[str, Any]:
    """Content with the evaluation of that name replaced in place, or appended."""
    evaluations = list(content.get("evaluation_details", []))
    for index, existing in enumerate(evaluations):
        if existing.get("name") == evaluation["name"]:
            evaluations[index] = evaluation
            break
    else:
        evaluations.append(evaluation)
    return {**content, "evaluation_details": evaluations}


class MetricsIngestion:
    """Checks sources up front; the job then reads, parses and writes one version."""

    def __init__(
        self,
        cards: CardService,
        s3: S3,
        artifacts: ArtifactWriter,
        s3_buckets: tuple[str, ...],
        max_bytes: int,
    ) -> None:
        self._cards = cards
        self._s3 = s3
        self._artifacts = artifacts
        self._s3_buckets = s3_buckets
        self.max_bytes = max_bytes

    def check_s3_uri(self, s3_uri: str) -> None:
        """Refuse malformed URIs and buckets outside the allow-list (before any job)."""
        check_bucket_allowed(parse_s3_uri(s3_uri, "s3Uri"), self._s3_buckets, "s3Uri")

    async def store_upload(self, data: bytes, filename: str, actor: Principal) -> dict[str, Any]:
        """Keep an uploaded file as an artifact for the worker; describe it for the job input."""
        if len(data) > self.max_bytes:
            raise ValidationFailedError(
                [FieldProblem("file", f"the file is larger than the {self.max_bytes}-byte limit")]
            )
        sha = hashlib.sha256(data).hexdigest()
        # Each upload is its uploader's own record: keyed by content alone, a second uploader
        # of the same bytes would be handed the first one's file (readable by them only, and
        # in their API's store).
        artifact = await self._artifacts.save(
            f"{UPLOAD_PREFIX}{sha}:{uuid.uuid4().hex}",
            filename or "metrics.json",
            "application/json",
            data,
            f"{UPLOAD_PREFIX}{actor.key_id}",  # who may download it (Artifact.readable_by)
            None,
        )
        return {"artifactId": artifact.id, "filename": artifact.filename, "sha256": sha}

    async def evaluation_from_s3(
        self, name: str, s3_uri: str, file_type: MetricFileType
    ) -> dict[str, Any]:
        """An evaluation entry parsed from an (allow-listed) S3 object."""
        return evaluation_entry(name, await self._read({"s3Uri": s3_uri}), file_type)

    async def _read(self, job_input: dict[str, Any]) -> MetricsFile:
        if "s3Uri" in job_input:
            location = parse_s3_uri(job_input["s3Uri"], "s3Uri")
            check_bucket_allowed(location, self._s3_buckets, "s3Uri")
            data, etag = await self._s3.read_capped(location, self.max_bytes)
            return MetricsFile(data, location.uri, etag)
        artifact = await self._artifacts.find(job_input["upload"]["artifactId"])
        if artifact is None:
            raise NotFoundError("the uploaded metrics file is gone")
        data = await self._artifacts.read(artifact.id)
        return MetricsFile(data, f"upload:{artifact.filename}", artifact.sha256)

    async def run(self, context: JobContext) -> dict[str, Any]:
        """Read, parse, and write the evaluation into a new version (source `metrics`)."""
        job = context.job
        job_input = job.input
        await context.progress(0.1, "reading the metrics file")
        source = await self._read(job_input)
        await context.progress(0.4, f"parsing {len(source.data)} bytes")
        evaluation = evaluation_entry(
            job_input["evaluationName"], source, MetricFileType(job_input["metricType"])
        )
        card = await self._cards.require_card(job_input["name"])
        latest = await self._cards.latest_version(card)
        if job_input.get("evaluationJobArn"):
            evaluation["evaluation_job_arn"] = job_input["evaluationJobArn"]
        if job_input.get("datasets"):
            evaluation["datasets"] = job_input["datasets"]
        await context.progress(0.7, "writing a new version")
        version = await self._cards.update_content(
            card.name,
            with_evaluation(latest.content, evaluation),
            Principal.for_job(job.id, job.requested_by),
            source=VersionSource.METRICS,
            job_id=job.id,
            origin={"evaluation_details": source.origin},
        )
        return {
            "cardName": card.name,
            "version": version.number,
            "evaluationName": evaluation["name"],
            "metricGroups": len(evaluation["metric_groups"]),
            "sourceUri": source.source_uri,
            "etag": source.etag,
            "sha256": source.sha256,
        }
