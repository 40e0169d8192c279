"""The Celery application, configured from `Settings` (queues `io` and `render`)."""

from __future__ import annotations

import logging
import sys

from celery import Celery, signals
from kombu import Queue

from cardgraph.events.redis_connection import broker_transport_timeouts
from cardgraph.jobs import names
from cardgraph.rendering.system_libraries import (
    MissingSystemLibraryError,
    check_rendering_libraries,
)
from cardgraph.settings import Settings, get_settings
from workers import monitoring


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Periodic tasks: the lost-job reconciler and, if enabled, the package sync."""
    schedule: dict[str, dict[str, object]] = {
        "reconcile-jobs": {
            "task": names.RECONCILE_JOBS,
            "schedule": float(settings.reconcile_interval_s),
        },
    }
    if settings.package_sync_interval_s:
        schedule["sync-model-packages"] = {
            "task": names.SCHEDULE_PACKAGE_SYNC,
            "schedule": float(settings.package_sync_interval_s),
        }
    return schedule


def create_celery(settings: Settings) -> Celery:
    """Build the Celery app: late acks, prefetch 1, time limits below the visibility timeout."""
    app = Celery("cardgraph", broker=settings.redis_url, include=["workers.tasks"])
    app.conf.update(
        task_queues=[Queue(name) for name in names.QUEUES],
        task_default_queue=names.IO_QUEUE,
        task_routes={name: {"queue": queue} for name, queue in names.QUEUE_OF_TASK.items()},
        beat_schedule=beat_schedule(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit_s,
        # The soft limit leaves the job a moment to record its failure before the hard kill.
        task_soft_time_limit=max(int(settings.task_time_limit_s * 0.9), 1),
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout_s,
            # Sweep for messages of dead workers often (a cheap sorted-set range), so a job
            # is redelivered soon after its visibility timeout rather than minutes later.
            "unacked_restore_interval": max(1, min(10, settings.broker_visibility_timeout_s // 4)),
            "unacked_restore_throttle": 1,
            # A frozen broker must not hang a publish or an ack forever (kombu's default).
            **broker_transport_timeouts(settings),
        },
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


def refuse_without_rendering_libraries(**_: object) -> None:
    """A worker (any queue: one process may take both) stops at start-up without Pango, and
    warns without harfbuzz-subset, as `cardgraph worker` does; beat renders nothing."""
    try:
        check_rendering_libraries()
    except MissingSystemLibraryError as error:
        print(f"celery worker: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


signals.worker_init.connect(refuse_without_rendering_libraries, weak=False)

# WeasyPrint logs every rendering step at INFO.
for noisy in ("weasyprint", "fontTools"):
    logging.getLogger(noisy).setLevel(logging.WARNING)
celery_app = create_celery(get_settings())
# Metrics (multiprocess directory, /metrics server), JSON logs, job ids in log lines. Nothing
# above may import prometheus_client: its mode is chosen when it is first imported.
monitoring.install(get_settings())
