"""PDF rendering within a time budget: WeasyPrint runs in a child process killed past it.

WeasyPrint is synchronous, C-heavy code that nothing can interrupt from inside a process: a
Celery soft time limit only raises in the worker's main thread (the render goes on in its
thread), and the hard limit kills the whole worker process, with its connections and every
other job it held. A child process is the one thing that can be stopped at once: past the
budget it is killed (SIGKILL), the render fails with RENDER_TIMEOUT, and the next render
starts a fresh child. The child stays up between renders, so only the first render of a
worker process pays for importing WeasyPrint and loading fonts, and never within its budget.
"""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
import subprocess
import sys
import threading
import time

from cardgraph.errors import CardgraphError
from cardgraph.rendering.pdf_child import ERROR, READY

logger = logging.getLogger("cardgraph.rendering")

STARTUP_TIMEOUT_S = 120.0  # importing WeasyPrint on a busy machine; not part of any budget
_CHUNK = 1 << 20


class RenderTimeoutError(CardgraphError):
    """A render outlasted its time budget and was stopped."""

    code = "RENDER_TIMEOUT"


class _ChildGone(Exception):
    """The child closed its pipes or timed out before answering."""


class _Child:
    """One running render process and its pipes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cardgraph.rendering.pdf_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self.stdin, False)
        os.set_blocking(self.stdout, False)
        self._buffer = b""
        self._ready = False

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def exchange(self, request: bytes, deadline: float) -> bytes:
        """Write `request`, then read until one answer is complete, both before `deadline`."""
        pending = memoryview(request)
        with selectors.DefaultSelector() as selector:
            selector.register(self.stdout, selectors.EVENT_READ)
            if pending:
                selector.register(self.stdin, selectors.EVENT_WRITE)
            while True:
                answer = self._answer()
                if answer is not None:
                    return answer
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    if key.fd == self.stdin:
                        try:
                            pending = pending[os.write(self.stdin, pending) :]
                        except BrokenPipeError as error:
                            raise _ChildGone from error
                        if not pending:
                            selector.unregister(self.stdin)
                    else:
                        data = os.read(self.stdout, _CHUNK)
                        if not data:
                            raise _ChildGone
                        self._buffer += data

    def _answer(self) -> bytes | None:
        """The status byte and frame of one complete answer, taken off the buffer."""
        if not self._ready:  # the first answer is the one byte saying the child is ready
            if not self._buffer.startswith(READY):
                return None
            self._buffer, self._ready = self._buffer[1:], True
            return READY
        if len(self._buffer) < 9:
            return None
        size = int.from_bytes(self._buffer[1:9], "big")
        if len(self._buffer) < 9 + size:
            return None
        answer, self._buffer = self._buffer[: 9 + size], self._buffer[9 + size :]
        return answer

    def kill(self) -> None:
        """Stop the child at once and reap it."""
        self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class PdfRenderer:
    """Renders HTML to PDF in a child process, one render at a time, each within a budget."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._child: _Child | None = None
        self._lock = threading.Lock()

    async def render(self, html: str) -> bytes:
        """The PDF of `html`; RenderTimeoutError if it takes longer than the budget."""
        return await asyncio.to_thread(self.render_sync, html)

    def render_sync(self, html: str) -> bytes:
        """`render`, blocking the calling thread."""
        payload = html.encode()
        with self._lock:
            child = self._started()
            try:
                answer = child.exchange(
                    len(payload).to_bytes(8, "big") + payload, time.monotonic() + self.budget_s
                )
            except TimeoutError:
                self._stop()
                raise RenderTimeoutError(
                    f"rendering the PDF took longer than its {self.budget_s:g} s budget "
                    "(CARDGRAPH_RENDER_TIME_BUDGET_S) and was stopped"
                ) from None
            except _ChildGone:
                self._stop()
                raise RuntimeError("the PDF render process ended unexpectedly") from None
        if answer[0] == ERROR:
            raise RuntimeError(f"WeasyPrint failed: {answer[9:].decode(errors='replace')}")
        return answer[9:]

    @property
    def child_pid(self) -> int | None:
        """The running render process, if any."""
        return self._child.pid if self._child is not None else None

    def _started(self) -> _Child:
        if self._child is not None and self._child.process.poll() is None:
            return self._child
        self._stop()
        child = _Child()
        try:
            child.exchange(b"", time.monotonic() + STARTUP_TIMEOUT_S)
        except (TimeoutError, _ChildGone):
            child.kill()
            raise RuntimeError("the PDF render process did not start") from None
        self._child = child
        logger.info("PDF render process %s started", child.pid)
        return child

    def _stop(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None

    def close(self) -> None:
        """Stop the render process (the next render starts another)."""
        with self._lock:
            self._stop()
