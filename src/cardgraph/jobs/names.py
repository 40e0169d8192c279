"""Celery task names and queues: the API sends tasks by name and never imports `workers`."""

from __future__ import annotations

from cardgraph.jobs.models import JobKind

IO_QUEUE = "io"
RENDER_QUEUE = "render"
QUEUES = (IO_QUEUE, RENDER_QUEUE)

EXPORT_CARD_PDF = "cardgraph.render.export_card_pdf"
EXPORT_CARDS = "cardgraph.render.export_cards"
EXPORT_CARDS_PART = "cardgraph.render.export_cards_part"
EXPORT_CARDS_FINISH = "cardgraph.render.export_cards_finish"
RECONCILE_JOBS = "cardgraph.io.reconcile_jobs"
INGEST_METRICS = "cardgraph.io.ingest_metrics"
AUTOPOPULATE = "cardgraph.io.autopopulate"
SYNC_MODEL_PACKAGES = "cardgraph.io.sync_model_packages"
SCHEDULE_PACKAGE_SYNC = "cardgraph.io.schedule_package_sync"

TASK_OF_KIND: dict[JobKind, tuple[str, str]] = {
    JobKind.EXPORT_CARD_PDF: (EXPORT_CARD_PDF, RENDER_QUEUE),
    JobKind.EXPORT_CARDS: (EXPORT_CARDS, RENDER_QUEUE),
    JobKind.INGEST_METRICS: (INGEST_METRICS, IO_QUEUE),
    JobKind.AUTOPOPULATE: (AUTOPOPULATE, IO_QUEUE),
    JobKind.SYNC_MODEL_PACKAGES: (SYNC_MODEL_PACKAGES, IO_QUEUE),
}
