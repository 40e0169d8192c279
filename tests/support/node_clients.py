"""Node.js clients of the API: the tests/node project, installed on demand, and its scripts.

Standard JavaScript clients (the official `graphql-ws`, `graphql-http`'s audit suite) are
what frontends use; the suite runs them as they are published. Node 20 is required: without
it these tests fail (they never skip), since CI machines have it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import NODE_PROJECT

MIN_NODE_MAJOR = 20
# How long to wait for a line from a script before calling it hung (a guard against a hang,
# never an assertion about speed).
HANG_GUARD_S = 90.0  # below pytest-timeout (120 s), so the reason shows
_STAMP = "node_modules/.cardgraph-installed"  # what the last `npm ci` installed


@dataclass(frozen=True)
class NodeProject:
    """The installed tests/node project and the `node` that runs its scripts."""

    node: str
    directory: Path

    def start(self, script: str, *args: str, api_key: str | None = None) -> NodeScript:
        """Start `node <script> <args>`; the key goes in CARDGRAPH_API_KEY, never argv."""
        env = {**os.environ, "NODE_NO_WARNINGS": "1"}
        if api_key is not None:
            env["CARDGRAPH_API_KEY"] = api_key
        process = subprocess.Popen(
            [self.node, script, *args],
            cwd=self.directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return NodeScript(process)

    @contextmanager
    def running(self, script: str, *args: str, api_key: str | None = None) -> Iterator[NodeScript]:
        """A started script, stopped at the end whatever happened."""
        started = self.start(script, *args, api_key=api_key)
        try:
            yield started
        finally:
            started.stop()

    def run(self, script: str, *args: str, api_key: str | None = None) -> dict[str, Any]:
        """Run a script to its end; return the JSON object of its last stdout line."""
        with self.running(script, *args, api_key=api_key) as started:
            return started.last_line()


class NodeScript:
    """A running script whose stdout is JSON, one object per line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # end of output

    def next_line(self) -> dict[str, Any] | None:
        """The next JSON line, or None once the script's output has ended."""
        try:
            line = self._lines.get(timeout=HANG_GUARD_S)
        except queue.Empty:
            raise AssertionError(f"no output for {HANG_GUARD_S:.0f} s: {self._stderr()}") from None
        if line is None:
            return None
        try:
            value: dict[str, Any] = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}; {self._stderr()}") from None
        return value

    def wait_for(self, event: str) -> dict[str, Any]:
        """Read lines until one whose `event` is `event`; return it."""
        while True:
            line = self.next_line()
            if line is None:
                raise AssertionError(f"the script ended before {event!r}: {self._stderr()}")
            if line.get("event") == event:
                return line

    def last_line(self) -> dict[str, Any]:
        """Read to the end of output and wait for the exit; return the last JSON line."""
        last = None
        while (line := self.next_line()) is not None:
            last = line
        self.process.wait(HANG_GUARD_S)
        if last is None:
            raise AssertionError(f"the script printed nothing: {self._stderr()}")
        return last

    def stop(self) -> None:
        """Kill the script if it still runs, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(HANG_GUARD_S)
        self._reader.join(HANG_GUARD_S)  # it reads stdout to its end: close the pipe after
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(still running)"
        return f"exit {self.process.returncode}, stderr: {self.process.stderr.read()[-3000:]}"


def prepare_node_project() -> NodeProject:
    """Check Node (20+) and npm, and `npm ci` the project when its packages are missing or
    older than its lock file; a missing tool or failed install fails the test."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            f"Node.js {MIN_NODE_MAJOR}+ and npm are needed (tests/node: graphql-ws, graphql-http)"
            f"; `node` {'found' if node else 'missing'}, `npm` {'found' if npm else 'missing'}",
            pytrace=False,
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    if major < MIN_NODE_MAJOR:
        pytest.fail(f"Node.js {MIN_NODE_MAJOR}+ is needed, found {version.stdout}", pytrace=False)
    _install(npm)
    return NodeProject(node=node, directory=NODE_PROJECT)


def _install(npm: str) -> None:
    wanted = _lock_digest()
    stamp = NODE_PROJECT / _STAMP
    # Another test session in the same tree may be installing: one `npm ci` at a time.
    with open(NODE_PROJECT / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted:
            return
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_PROJECT,
            capture_output=True,
            text=True,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if installed.returncode != 0:
            pytest.fail(
                f"`npm ci` in {NODE_PROJECT} failed:\n{installed.stdout}\n{installed.stderr}",
                pytrace=False,
            )
        stamp.write_text(wanted)


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((NODE_PROJECT / name).read_bytes())
    return digest.hexdigest()
