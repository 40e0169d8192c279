"""Thin task entry points: a job id in, a `cardgraph` service call out."""

from __future__ import annotations

from collections.abc import Callable

from cardgraph.jobs import names
from cardgraph.jobs.models import JobKind
from cardgraph.jobs.runner import Handler
from cardgraph.packages.service import SCHEDULER
from cardgraph.services import Services
from workers.base import JobTask
from workers.celery_app import celery_app
from workers.runtime import runtime


def _run_job(job_id: str, handler: Callable[[Services], Handler]) -> None:
    """Run a job through the shared runner (claim, progress, outcome) in this process."""
    services = runtime().services
    runtime().run(services.job_runner.run(job_id, handler(services)))


@celery_app.task(name=names.EXPORT_CARD_PDF, base=JobTask)
def export_card_pdf(job_id: str) -> None:
    """Render one card version to PDF."""
    _run_job(job_id, lambda services: services.pdf_export.run)


@celery_app.task(name=names.EXPORT_CARDS, base=JobTask)
def export_cards(job_id: str) -> None:
    """Plan a batch export and send its parts."""
    runtime().run(runtime().services.batch_export.plan(job_id))


@celery_app.task(name=names.EXPORT_CARDS_PART, base=JobTask)
def export_cards_part(job_id: str, index: int, card_names: list[str]) -> None:
    """Export one part of a batch export (zips the whole when it is the last part)."""
    runtime().run(runtime().services.batch_export.export_part(job_id, index, card_names))


@celery_app.task(name=names.INGEST_METRICS, base=JobTask)
def ingest_metrics(job_id: str) -> None:
    """Read a metrics file and add it to a card."""
    _run_job(job_id, lambda services: services.metrics.run)


@celery_app.task(name=names.AUTOPOPULATE, base=JobTask)
def autopopulate(job_id: str) -> None:
    """Fill a card from SageMaker."""
    _run_job(job_id, lambda services: services.autopopulation.run)


@celery_app.task(name=names.SYNC_MODEL_PACKAGES, base=JobTask)
def sync_model_packages(job_id: str) -> None:
    """Follow the model registry."""
    _run_job(job_id, lambda services: services.packages.sync)


@celery_app.task(name=names.SCHEDULE_PACKAGE_SYNC)
def schedule_package_sync() -> str | None:
    """Start a sync job of every known package group (periodic, from beat)."""
    return runtime().run(_schedule_package_sync())


async def _schedule_package_sync() -> str | None:
    services = runtime().services
    if not await services.packages.groups():
        return None  # nothing mirrored yet: no job, no noise
    job = await services.jobs.start(JobKind.SYNC_MODEL_PACKAGES, {"groupName": None}, SCHEDULER)
    return job.id


@celery_app.task(name=names.RECONCILE_JOBS)
def reconcile_jobs() -> list[str]:
    """Re-send jobs still QUEUED long after their send, and tasks whose lease lapsed."""
    return runtime().run(runtime().services.reconciler.reconcile())
