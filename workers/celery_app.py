"""The Celery application, configured from `Settings` (queues `io` and `render`)."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from cardgraph.settings import Settings, get_settings

QUEUES = ("io", "render")


def create_celery(settings: Settings) -> Celery:
    """Build the Celery app: late acks, prefetch 1, time limits below the visibility timeout."""
    app = Celery("cardgraph", broker=settings.redis_url, include=[])
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="io",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=max(settings.task_time_limit_s - 30, 1),
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


celery_app = create_celery(get_settings())
