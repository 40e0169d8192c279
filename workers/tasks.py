"""Thin task entry points: a job id in, a `cardgraph` service call out."""

from __future__ import annotations

from datetime import timedelta

from cardgraph.jobs import names
from workers.base import JobTask
from workers.celery_app import celery_app
from workers.runtime import runtime


@celery_app.task(name=names.EXPORT_CARD_PDF, base=JobTask)
def export_card_pdf(job_id: str) -> None:
    """Render one card version to PDF."""
    services = runtime().services
    runtime().run(services.job_runner.run(job_id, services.pdf_export.run))


@celery_app.task(name=names.RECONCILE_JOBS)
def reconcile_jobs() -> list[str]:
    """Re-send jobs still QUEUED long after their task was sent (a lost message)."""
    services = runtime().services
    after = timedelta(seconds=services.settings.job_resend_after_s)
    return runtime().run(services.jobs.resend_lost(after))
