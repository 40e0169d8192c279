"""Celery task names and queues: the API sends tasks by name and never imports `workers`.

`QUEUE_OF_TASK` is the one statement of which queue runs each task: the sender
(`jobs/queue.py`) and the worker's router (`workers/celery_app.py`) both read it.
"""

from __future__ import annotations

from cardgraph.jobs.models import JobKind

IO_QUEUE = "io"
RENDER_QUEUE = "render"
QUEUES = (IO_QUEUE, RENDER_QUEUE)

EXPORT_CARD_PDF = "cardgraph.render.export_card_pdf"
EXPORT_CARDS = "cardgraph.render.export_cards"
EXPORT_CARDS_PART = "cardgraph.render.export_cards_part"
RECONCILE_JOBS = "cardgraph.io.reconcile_jobs"
INGEST_METRICS = "cardgraph.io.ingest_metrics"
AUTOPOPULATE = "cardgraph.io.autopopulate"
SYNC_MODEL_PACKAGES = "cardgraph.io.sync_model_packages"
SCHEDULE_PACKAGE_SYNC = "cardgraph.io.schedule_package_sync"

QUEUE_OF_TASK: dict[str, str] = {
    EXPORT_CARD_PDF: RENDER_QUEUE,
    EXPORT_CARDS: RENDER_QUEUE,
    EXPORT_CARDS_PART: RENDER_QUEUE,
    RECONCILE_JOBS: IO_QUEUE,
    INGEST_METRICS: IO_QUEUE,
    AUTOPOPULATE: IO_QUEUE,
    SYNC_MODEL_PACKAGES: IO_QUEUE,
    SCHEDULE_PACKAGE_SYNC: IO_QUEUE,
}

# The task that runs each kind of job (its main slot).
TASK_OF_KIND: dict[JobKind, str] = {
    JobKind.EXPORT_CARD_PDF: EXPORT_CARD_PDF,
    JobKind.EXPORT_CARDS: EXPORT_CARDS,
    JobKind.INGEST_METRICS: INGEST_METRICS,
    JobKind.AUTOPOPULATE: AUTOPOPULATE,
    JobKind.SYNC_MODEL_PACKAGES: SYNC_MODEL_PACKAGES,
}
