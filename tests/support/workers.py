"""Real Celery worker processes for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from cardgraph.cli import child_env, worker_command
from cardgraph.jobs.names import QUEUES
from cardgraph.settings import Settings
from tests.support.paths import ROOT


def worker_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a worker use the test session's servers and settings."""
    return {**child_env(settings), "PYTHONPATH": str(ROOT)}


class WorkerProcess:
    """A `celery worker` subprocess consuming both queues (or `queues`)."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        concurrency: int = 2,
        beat: bool = False,
        queues: tuple[str, ...] = QUEUES,
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        start = log_path.stat().st_size
        command = worker_command(
            settings.model_copy(update={"worker_concurrency": concurrency, "log_level": "INFO"}),
            beat=beat,
            queues=queues,
        )
        node = f"test-{os.getpid()}-{time.monotonic_ns()}@%h"
        self.process = subprocess.Popen(
            [*command, "--without-heartbeat", "-n", node],
            cwd=ROOT,
            env=worker_env(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(start)

    def _wait_ready(self, offset: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[offset:]
            with self.log_path.open("rb") as log:
                log.seek(offset)
                if b" ready." in log.read():
                    return
            time.sleep(0.1)
        raise AssertionError("the Celery worker did not become ready")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a crashed machine)."""
        with contextlib.suppress(ProcessLookupError):  # all of them may be gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def kill_main(self) -> None:
        """SIGKILL the worker's main process only (its pool processes are orphaned)."""
        self.process.kill()
        self.process.wait(10)

    def signal_group(self, signum: int) -> None:
        """Send a signal to every process of the worker (Ctrl-C in its terminal: SIGINT)."""
        os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        """Warm shutdown; whatever is left of the worker's processes is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(60)
        self.kill()  # orphaned pool processes too
        self._log.close()
