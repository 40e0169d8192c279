"""A worker's metrics server and log context, wired to Celery's signals.

Celery's prefork pool runs tasks in child processes that come and go (a crash, a time
limit, a recycled child), so no child can serve metrics of its own: one port per child would
clash and lose its counts with the child. prometheus_client's multiprocess mode fits
instead: every process writes its values to files in one directory private to this worker
(created before any metric exists, and so before the pool forks), and the worker's main
process serves them added up on `CARDGRAPH_WORKER_METRICS_PORT`. Counts of a child that died
stay in its files, as counters must.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import socketserver
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery import signals

from cardgraph.jobs import names
from cardgraph.monitoring import logs
from cardgraph.monitoring.access import METRICS_REFUSED, metrics_token_accepted
from cardgraph.settings import Settings

logger = logging.getLogger("cardgraph.workers")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Tasks whose first argument is a job id.
JOB_TASKS = frozenset({*names.TASK_OF_KIND.values(), names.EXPORT_CARDS_PART})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def install(settings: Settings) -> None:
    """Connect the metrics directory, the metrics server and the log format to Celery."""

    @signals.import_modules.connect(weak=False)
    def _before_tasks_load(**_: object) -> None:
        prepare_multiprocess_dir()

    @signals.worker_init.connect(weak=False)
    def _worker_starts(**_: object) -> None:
        if settings.worker_metrics_port is not None:
            serve_metrics(settings)

    if settings.log_format == "json":
        # celeryd_init comes before the worker's first warnings (running as root, say);
        # a receiver of setup_logging makes Celery leave logging to us (beat too).
        @signals.celeryd_init.connect(weak=False)
        @signals.setup_logging.connect(weak=False)
        def _logging(**_: object) -> None:
            logs.configure_logging(settings)

    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_ended, weak=False)


def prepare_multiprocess_dir() -> None:
    """Give this worker's processes one metrics directory, before prometheus_client loads.

    A directory given in PROMETHEUS_MULTIPROC_DIR is emptied (files of an earlier run would
    add to the counts); otherwise a private one is made, and removed when the worker exits.
    """
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    if "prometheus_client" in sys.modules:  # too late to switch (a host process, not a worker)
        logger.warning("prometheus_client was loaded first: worker metrics stay per process")
        return
    directory = tempfile.mkdtemp(prefix="cardgraph-worker-metrics-")
    os.environ[MULTIPROCESS_ENV] = directory
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in a pool process that inherited the hook
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)


def metrics_app(settings: Settings) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI app serving GET /metrics: every process's metrics, with the metrics token."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            return _error(start_response, "404 Not Found", "NOT_FOUND", "no such path")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _error(start_response, "405 Method Not Allowed", "BAD_REQUEST", "use GET")
        if not metrics_token_accepted(environ.get("HTTP_AUTHORIZATION"), settings.metrics_token):
            return _error(start_response, "401 Unauthorized", "UNAUTHENTICATED", METRICS_REFUSED)
        body = generate_latest(registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    return app


def serve_metrics(settings: Settings) -> WSGIServer:
    """Serve the worker's metrics from a thread of its main process; a busy port stops it."""
    if os.environ.get(MULTIPROCESS_ENV) is None:
        raise SystemExit("worker metrics need prometheus_client's multiprocess directory")
    assert settings.worker_metrics_port is not None
    try:
        server = make_server(
            settings.host,
            settings.worker_metrics_port,
            metrics_app(settings),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
    except OSError as error:
        logger.error("cannot serve metrics on port %s: %s", settings.worker_metrics_port, error)
        raise SystemExit(1) from None
    threading.Thread(target=server.serve_forever, name="cardgraph-metrics", daemon=True).start()
    logger.info("worker metrics on http://%s:%s/metrics", settings.host, server.server_port)
    return server


def _task_started(task: Any = None, args: Any = None, **_: object) -> None:
    """Log lines of a job task name its job (and every task its name)."""
    name = getattr(task, "name", None)
    logs.task_name.set(name)
    if name in JOB_TASKS and args:
        logs.job_id.set(str(args[0]))


def _task_ended(**_: object) -> None:
    logs.task_name.set(None)
    logs.job_id.set(None)


def _error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    start_response(status, [("Content-Type", "application/json")])
    return [body]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per scrape; none outlives the worker."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No access line on stderr for every scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing."""
