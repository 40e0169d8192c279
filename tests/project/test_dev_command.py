"""`cardgraph dev` (what `make run` starts): servers, worker, API, admin key, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cardgraph.cli import stop_workers
from cardgraph.embedded import EmbeddedServer, free_port
from tests.support.servers import GraphQLClient

# Every test here runs `cardgraph dev`, which starts its own servers.
pytestmark = pytest.mark.servers

CARDGRAPH = str(Path(sys.executable).parent / "cardgraph")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def dev_process(workdir: Path, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run `cardgraph dev` in `workdir` until it is ready; stop it with SIGINT (Ctrl-C)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARDGRAPH_")}
    environment.update({"CARDGRAPH_PORT": str(port), "CARDGRAPH_LOG_LEVEL": "WARNING", **env})
    log = (workdir / "dev.log").open("ab")
    process = subprocess.Popen(
        [CARDGRAPH, "dev"], cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (workdir / "dev.log").read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "cardgraph dev did not become ready"
            time.sleep(0.3)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(60)
        log.close()


def _wait_for_worker(pid: int) -> set[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        family = _descendants(pid)
        if any("celery" in _cmdline(p) for p in family):
            return family
        time.sleep(0.3)
    raise AssertionError("no Celery worker was started")


def test_dev_runs_everything_keeps_data_and_stops_cleanly(tmp_path: Path) -> None:
    with dev_process(tmp_path) as (process, url):
        family = _wait_for_worker(process.pid)
        commands = " ".join(_cmdline(p) for p in family)
        assert "secantusd-py" in commands and "valkey-server" in commands
        key_file = tmp_path / ".cardgraph" / "admin.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        assert key in (tmp_path / "dev.log").read_text()  # printed for the user
        client = GraphQLClient(url, key)
        created = client.data('mutation { createCard(input: {name: "kept"}) { number } }')
        assert created == {"createCard": {"number": 1}}
        client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [(_cmdline(p), p) for p in family if _alive(p)]

    with dev_process(tmp_path) as (process, url):
        assert (tmp_path / ".cardgraph" / "admin.key").read_text().strip() == key
        client = GraphQLClient(url, key)
        assert client.data('{ card(name: "kept") { name } }') == {"card": {"name": "kept"}}
        client.close()


def test_dev_stopped_with_sigterm_stops_its_worker_and_servers(tmp_path: Path) -> None:
    """A supervisor (systemd, `timeout`, an IDE) stops with SIGTERM, not Ctrl-C."""
    with dev_process(tmp_path) as (process, _):
        family = _wait_for_worker(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [(_cmdline(p), p) for p in family if _alive(p)]


def test_dev_uses_configured_servers_instead_of_embedded_ones(
    tmp_path: Path, mongodb_server: EmbeddedServer, redis_server: EmbeddedServer
) -> None:
    with dev_process(
        tmp_path,
        CARDGRAPH_MONGODB_URL=mongodb_server.url,
        CARDGRAPH_REDIS_URL=redis_server.url,
        CARDGRAPH_MONGODB_DATABASE="cardgraph_dev_test",
    ) as (process, url):
        commands = " ".join(_cmdline(p) for p in _wait_for_worker(process.pid))
        assert "secantusd-py" not in commands and "valkey-server" not in commands
        # Off by default (`serve`), on for `dev`: the IDE page and introspection.
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        client = GraphQLClient(url, (tmp_path / ".cardgraph" / "admin.key").read_text().strip())
        schema = client.data("{ __schema { queryType { name } } }")
        client.close()
        assert schema == {"__schema": {"queryType": {"name": "Query"}}}


def _cli(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A `cardgraph` command run in `workdir`, as a user types it there (no CARDGRAPH_ set)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARDGRAPH_")}
    return subprocess.run(
        [CARDGRAPH, *args],
        cwd=workdir,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_next_to_a_running_dev_find_its_servers(tmp_path: Path) -> None:
    state_file = tmp_path / ".cardgraph" / "dev.json"
    with dev_process(tmp_path) as (process, url):
        state = json.loads(state_file.read_text())
        assert state["pid"] == process.pid and state["api_url"] == url
        assert state_file.stat().st_mode & 0o777 == 0o600
        # The README's command, as written, from the folder `make run` runs in.
        made = _cli(tmp_path, "create-api-key", "ci-bot", "--role", "editor")
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip()
        client = GraphQLClient(url, key)
        assert client.data("{ viewer { name role } }") == {
            "viewer": {"name": "ci-bot", "role": "EDITOR"}
        }
        client.close()
    assert not state_file.exists()  # removed on exit
    after = _cli(tmp_path, "create-api-key", "late-bot")
    assert after.returncode == 1 and "no `cardgraph dev` is running" in after.stderr


def test_a_second_dev_in_the_same_folder_says_the_first_is_running(tmp_path: Path) -> None:
    with dev_process(tmp_path) as (process, url):
        second = _cli(tmp_path, "dev", CARDGRAPH_PORT=str(free_port()))
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert f"pid {process.pid}" in second.stderr and f"{url}/graphql" in second.stderr
        assert "admin API key" not in second.stdout and "Traceback" not in second.stderr
        # The first one is untouched: still serving, its state still there.
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
        assert json.loads((tmp_path / ".cardgraph" / "dev.json").read_text())["pid"] == process.pid


def test_a_busy_port_is_reported_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _cli(tmp_path, "dev", CARDGRAPH_PORT=str(port))
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "CARDGRAPH_PORT" in done.stderr
    assert "admin API key" not in done.stdout and "SecantusDB" not in done.stdout
    assert not (tmp_path / ".cardgraph" / "admin.key").exists()
    assert not (tmp_path / ".cardgraph" / "mongodb").exists()  # no server was started
    assert "Traceback" not in done.stderr


# A "worker" that ignores SIGTERM and starts a child that ignores it too (as a Celery worker's
# pool or beat process may while the worker is still starting up).
STUBBORN_WORKER = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for init to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_worker_that_will_not_stop_is_killed_with_every_process_it_started() -> None:
    """`cardgraph dev` stopping its workers leaves none of their processes behind: killing
    only a worker's main process once orphaned its pool and beat, still consuming tasks."""
    worker = subprocess.Popen(
        [sys.executable, "-c", STUBBORN_WORKER], start_new_session=True, stdout=subprocess.PIPE
    )
    assert worker.stdout is not None
    with worker.stdout:
        child = int(worker.stdout.readline())
    assert _alive(child)
    stop_workers([worker], grace_s=0.5)
    assert worker.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30  # SIGKILL is delivered asynchronously
    while _alive(child):
        assert time.monotonic() < deadline, "the worker's child outlived it"
        time.sleep(0.05)
