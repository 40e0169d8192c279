"""`cardgraph dev`'s state in its data folder, so that other commands run there find it.

While `cardgraph dev` runs it holds an exclusive lock on `.cardgraph/dev.lock` (released by the
kernel however it ends, so a second `cardgraph dev` there refuses to start) and keeps
`.cardgraph/dev.json`: its pid, the API's URL and the URLs of the servers it uses. Commands
such as `cardgraph create-api-key` read that file when no `CARDGRAPH_MONGODB_URL` is set, and
trust it only while its process is alive. The file is removed when `cardgraph dev` stops.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from cardgraph.settings import Settings

STATE_FILE = "dev.json"
LOCK_FILE = "dev.lock"


@dataclass(frozen=True)
class DevState:
    """What a running `cardgraph dev` tells the other commands of its folder."""

    pid: int
    api_url: str
    mongodb_url: str | None
    mongodb_database: str
    redis_url: str | None


class AlreadyRunningError(RuntimeError):
    """Another `cardgraph dev` holds this data folder."""


class PortInUseError(RuntimeError):
    """The API's address cannot be bound."""


def state_path(data_dir: Path) -> Path:
    """Where `cardgraph dev` keeps its state in `data_dir`."""
    return data_dir / STATE_FILE


def read_state(data_dir: Path) -> DevState | None:
    """The state file's contents, or None if there is none (or it is unreadable)."""
    try:
        fields = json.loads(state_path(data_dir).read_text())
        return DevState(**fields)
    except (OSError, ValueError, TypeError):
        return None


def process_is_alive(pid: int) -> bool:
    """Whether `pid` is a live `cardgraph` process (not a stranger that reused the pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's: not ours to use
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():  # no /proc here: the signal check is all there is
        return True
    try:
        return b"cardgraph" in cmdline.read_bytes()
    except OSError:
        return False


def running_dev(data_dir: Path) -> DevState | None:
    """The state of the `cardgraph dev` running in `data_dir`, if one is."""
    state = read_state(data_dir)
    if state is None or not process_is_alive(state.pid):
        return None
    return state


def with_running_dev(settings: Settings) -> Settings:
    """`settings`, pointed at the servers of this folder's `cardgraph dev` when none is set."""
    if settings.mongodb_url:
        return settings
    state = running_dev(settings.data_dir)
    if state is None or state.mongodb_url is None:
        return settings
    update: dict[str, object] = {
        "mongodb_url": state.mongodb_url,
        "mongodb_database": state.mongodb_database,
    }
    if not settings.redis_url and state.redis_url:
        update["redis_url"] = state.redis_url
    return settings.model_copy(update=update)


def no_database_message(settings: Settings) -> str:
    """Why a command that needs MongoDB has none, and what to do."""
    stale = read_state(settings.data_dir)
    found = (
        f" ({state_path(settings.data_dir)} names pid {stale.pid}, which is not running)"
        if stale is not None
        else ""
    )
    return (
        f"no database: no `cardgraph dev` is running in {settings.data_dir.resolve().parent}"
        f"{found}. Start it there (`make run`), or set CARDGRAPH_MONGODB_URL."
    )


@contextlib.contextmanager
def dev_lock(data_dir: Path) -> Iterator[Callable[[DevState], None]]:
    """Hold `data_dir` for one `cardgraph dev`; yield a function recording its state.

    Raises AlreadyRunningError, naming the running one's pid and URL, if it is held.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = (data_dir / LOCK_FILE).open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise AlreadyRunningError(_already_running_message(data_dir)) from None
    try:
        yield lambda state: _write_state(data_dir, state)
    finally:
        state_path(data_dir).unlink(missing_ok=True)
        lock.close()  # releases the lock


def _already_running_message(data_dir: Path) -> str:
    state = read_state(data_dir)
    where = data_dir.resolve().parent
    if state is None:  # it holds the lock but has not written its state yet
        return f"already starting in {where}; stop it first"
    return (
        f"already running in {where} (pid {state.pid}, GraphQL at "
        f"{state.api_url}/graphql); stop it first, or run this one in another folder"
    )


def _write_state(data_dir: Path, state: DevState) -> None:
    # Written whole then renamed, so a reader never sees half a file; 0600: a configured
    # MongoDB URL may carry a password.
    temporary = data_dir / f".{STATE_FILE}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(state), handle, indent=2)
    os.replace(temporary, state_path(data_dir))


def bind_api_socket(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound now, so a busy port is reported before anything
    starts (uvicorn serves on it)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise PortInUseError(
            f"cannot listen on {host}:{port} ({error.strerror}): another program uses the "
            "port; stop it, or set CARDGRAPH_PORT (and CARDGRAPH_HOST) to a free one"
        ) from None
    return sock


def browsable_url(host: str, port: int) -> str:
    """The API's base URL as a client on this machine reaches it."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"
