"""Log output: readable text, or one JSON object per line (`CARDGRAPH_LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from cardgraph.audit import context as audit_context
from cardgraph.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The job a worker's task is running (set around each job task), for its log lines.
job_id: ContextVar[str | None] = ContextVar("cardgraph_job_id", default=None)
# The Celery task running, by name.
task_name: ContextVar[str | None] = ContextVar("cardgraph_task_name", default=None)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: time, level, logger, message, and the request or
    job it belongs to where known (with the exception, if any, as text)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in (
            ("request_id", audit_context.request_id.get()),
            ("job_id", job_id.get()),
            ("task", task_name.get()),
        ):
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Escaped newlines keep a multi-line message (a traceback) on its one line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send every log record to stderr at the configured level, as text or as JSON."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
        logging.captureWarnings(True)  # a warning is a log line too, not free text on stderr
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("weasyprint", "fontTools"):  # every rendering step at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
