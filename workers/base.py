"""JobTask: the base of every job task; marks the job FAILED when the task itself dies."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from cardgraph.jobs import names
from cardgraph.jobs.models import MAIN_SLOT, JobError
from workers.runtime import runtime

logger = logging.getLogger("cardgraph.workers")


class JobTask(Task[..., Any]):
    """Tasks whose first argument is a job id."""

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        """A time limit or a crash outside the job runner: record it on the job."""
        if not args:
            return
        code = (
            "TIMEOUT"
            if type(exc).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded")
            else "INTERNAL"
        )
        logger.error("task %s for job %s failed: %r", self.name, args[0], exc)
        # A batch part holds the lease of its own slot; every other task the main slot's.
        slot = f"part{args[1]}" if self.name == names.EXPORT_CARDS_PART else MAIN_SLOT
        runtime().run(
            runtime().services.job_runner.fail_task(
                str(args[0]), slot, JobError(code, f"the task failed: {type(exc).__name__}")
            )
        )
