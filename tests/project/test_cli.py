"""The `cardgraph` command where nothing is running, or the OS lacks WeasyPrint's libraries.

A missing library is made real, not pretended: each command runs in a mount namespace of its
own (`unshare -m`, as root) where that library's file is covered by /dev/null, so the dynamic
loader itself fails to load it, as on a machine without the package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cardgraph.embedded import EmbeddedServer
from tests.support.paths import ROOT

CARDGRAPH = str(Path(sys.executable).parent / "cardgraph")
UNSHARE = shutil.which("unshare")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDGRAPH_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def _cardgraph(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CARDGRAPH, *args], cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=120
    )


def test_create_api_key_without_a_database_says_what_to_do(tmp_path: Path) -> None:
    done = _cardgraph(tmp_path, "create-api-key", "ci-bot", "--role", "editor")
    assert done.returncode == 1
    assert "no `cardgraph dev` is running" in done.stderr
    assert "CARDGRAPH_MONGODB_URL" in done.stderr and "make run" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_state_file_of_a_stopped_dev_is_not_trusted(
    tmp_path: Path, mongodb_server: EmbeddedServer
) -> None:
    # A `cardgraph dev` killed with SIGKILL leaves its state file behind; its pid is gone.
    gone = subprocess.Popen(["true"])
    gone.wait()
    state = tmp_path / ".cardgraph" / "dev.json"
    state.parent.mkdir()
    state.write_text(
        json.dumps(
            {
                "pid": gone.pid,
                "api_url": "http://127.0.0.1:1",
                "mongodb_url": mongodb_server.url,  # reachable: only the pid says it is stale
                "mongodb_database": "cardgraph_stale_state",
                "redis_url": None,
            }
        )
    )
    done = _cardgraph(tmp_path, "create-api-key", "ci-bot")
    assert done.returncode == 1
    assert f"names pid {gone.pid}, which is not running" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def _library_path(soname: str) -> str:
    listing = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    found = re.search(rf"^\s*{re.escape(soname)} \(.*?\) => (\S+)$", listing, flags=re.M)
    assert found, f"{soname} is not installed here"
    return os.path.realpath(found.group(1))


def _without_library(
    soname: str, cwd: Path, *command: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `command` where `soname` cannot be loaded (its file covered by /dev/null)."""
    if UNSHARE is None or subprocess.run([UNSHARE, "-m", "true"]).returncode != 0:
        pytest.skip("needs `unshare -m` (root, util-linux) to hide a library from one process")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    return subprocess.run(
        [UNSHARE, "-m", "sh", "-c", script, _library_path(soname), *command],
        cwd=cwd,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        [CARDGRAPH, "serve"],
        [CARDGRAPH, "worker"],
        [CARDGRAPH, "dev"],
        # As docker-compose.yml starts workers, without the `cardgraph` command.
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", "render"],
    ],
    ids=["serve", "worker", "dev", "celery-worker"],
)
def test_without_pango_a_process_that_may_render_stops_and_names_the_packages(
    command: list[str], tmp_path: Path, mongodb_server: EmbeddedServer
) -> None:
    done = _without_library(
        "libpango-1.0.so.0",
        tmp_path,
        *command,
        CARDGRAPH_MONGODB_URL=mongodb_server.url,
        CARDGRAPH_REDIS_URL="redis://127.0.0.1:1/0",  # never reached: the check comes first
    )
    assert done.returncode != 0
    assert "needs Pango, and this system cannot load libpango-1.0.so.0" in done.stderr
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".cardgraph" / "admin.key").exists()  # `dev` stopped before a key


def test_without_harfbuzz_subset_start_up_warns_loudly(tmp_path: Path) -> None:
    with socket.socket() as busy:  # `dev` then stops at its port check, after the warning
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        done = _without_library(
            "libharfbuzz-subset.so.0", tmp_path, CARDGRAPH, "dev", CARDGRAPH_PORT=port
        )
    assert "libharfbuzz-subset.so.0 is missing" in done.stderr
    assert "10 times slower" in done.stderr and "libharfbuzz-subset0" in done.stderr
    assert "WARNING" in done.stderr


def test_the_dockerfile_installs_the_packages_named_at_start_up() -> None:
    from cardgraph.rendering.system_libraries import DEBIAN_PACKAGES

    dockerfile = (ROOT / "Dockerfile").read_text()
    installed = re.search(r"apt-get install[^\n]*\n((?:\s+[^\n]*\\\n)*[^\n]*)", dockerfile)
    assert installed is not None
    assert set(DEBIAN_PACKAGES) <= set(installed.group(0).replace("\\", " ").split())
