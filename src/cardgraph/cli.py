"""The `cardgraph` command: dev, serve, worker, export-schema, create-api-key."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from cardgraph import ledger_commands
from cardgraph.dev_stack import embedded_servers, ensure_admin_key
from cardgraph.dev_stack import issue_api_key as issue_api_key  # used by tests and bench/
from cardgraph.jobs.names import IO_QUEUE, QUEUES, RENDER_QUEUE
from cardgraph.local_state import (
    AlreadyRunningError,
    DevState,
    PortInUseError,
    bind_api_socket,
    browsable_url,
    dev_lock,
    no_database_message,
    with_running_dev,
)
from cardgraph.monitoring.logs import configure_logging
from cardgraph.principals import Role
from cardgraph.rendering.system_libraries import (
    MissingSystemLibraryError,
    check_rendering_libraries,
)
from cardgraph.settings import Settings, get_settings

logger = logging.getLogger("cardgraph")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="cardgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run API + worker on embedded servers (./.cardgraph)")
    commands.add_parser("serve", help="run the API only (production)")
    commands.add_parser("worker", help="run a Celery worker for both queues")
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    create_key = commands.add_parser("create-api-key", help="create an API key and print it")
    create_key.add_argument("name")
    create_key.add_argument("--role", choices=[r.name.lower() for r in Role], default="reader")
    ledger_commands.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cardgraph` command."""
    args = build_parser().parse_args(argv)
    if args.command == "verify":  # offline: no settings, no server, no database
        return ledger_commands.run_verify(args)
    settings = get_settings()
    configure_logging(settings)  # text, or one JSON object per line
    if args.command in ("dev", "serve", "worker"):
        try:
            check_rendering_libraries()  # raises without Pango, warns without harfbuzz-subset
        except MissingSystemLibraryError as error:
            return _refuse(args.command, str(error))
    if args.command == "dev":
        return run_dev(settings)
    # Next to a running `cardgraph dev` (and no CARDGRAPH_MONGODB_URL): its servers.
    settings = with_running_dev(settings)
    if args.command == "serve":
        return serve(settings)
    if args.command == "worker":
        return subprocess.call(worker_command(settings), env=child_env(settings))
    if args.command == "export-schema":
        return export_schema(settings, args.output)
    if not settings.mongodb_url:
        return _refuse(args.command, no_database_message(settings))
    if args.command == "migrate-ledger":
        return ledger_commands.run_migrate_ledger(settings)
    _, secret = asyncio.run(issue_api_key(settings, args.name, Role[args.role.upper()], "cli"))
    print(secret)
    return 0


def _refuse(command: str, message: str) -> int:
    print(f"cardgraph {command}: {message}", file=sys.stderr, flush=True)
    return 1


def export_schema(settings: Settings, output: Path | None) -> int:
    """Print or write the schema's SDL."""
    from cardgraph.graphql.schema import build_schema

    sdl = build_schema(settings).as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)
    return 0


def serve(settings: Settings, listening: socket.socket | None = None) -> int:
    """Run the API with uvicorn until interrupted (on `listening` if given: already bound)."""
    from cardgraph.app import create_app

    if listening is None:
        uvicorn.run(create_app(settings), **uvicorn_options(settings))
    else:
        # What uvicorn.run does around Server.run: Ctrl-C (re-raised once shut down) ends
        # it quietly; a failed start-up is exit status 3.
        server = uvicorn.Server(uvicorn.Config(create_app(settings), **uvicorn_options(settings)))
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listening])
        if not server.started:
            return 3
    return 0


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's configuration for `serve`: limits that matter when it is reached directly.

    uvicorn has no timeout for reading a request's headers or body, so slow clients are the
    reverse proxy's to cut off (deploy/nginx.conf); these bound what one process holds.
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        # JSON logs: uvicorn's loggers (access lines too) go through cardgraph's root handler.
        **({"log_config": None} if settings.log_format == "json" else {}),
        "ws": "websockets-sansio",
        # An idle keep-alive connection is closed after this long.
        "timeout_keep_alive": settings.http_keep_alive_s,
        # Past this many connections and requests in flight, new ones get 503 at once.
        "limit_concurrency": settings.http_max_concurrency,
        # The h11 parser's cap on a request line plus headers (httptools has its own, 80 KB).
        "h11_max_incomplete_event_size": 16 * 1024,
    }


def dev_settings(settings: Settings) -> Settings:
    """`cardgraph dev`'s settings: the IDE and introspection on, unless set explicitly."""
    switches = ("graphql_ide", "graphql_introspection")
    return settings.model_copy(
        update={name: True for name in switches if name not in settings.model_fields_set}
    )


def worker_command(
    settings: Settings, *, beat: bool = False, queues: tuple[str, ...] = QUEUES
) -> list[str]:
    """The command line of one Celery worker consuming `queues` (with beat: the scheduler)."""
    scheduler = ["-B", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "-Q",
        ",".join(queues),
        # Workers on one host need names of their own (Celery's control replies go by name).
        "-n",
        f"{'+'.join(queues)}@%h",
        "-c",
        str(settings.worker_concurrency),
        "--loglevel",
        settings.log_level.upper(),
        "--without-gossip",
        "--without-mingle",
        *(scheduler if beat else []),
    ]


def dev_worker_commands(settings: Settings) -> list[list[str]]:
    """`cardgraph dev`'s workers: one per queue, so a long render never holds up `io` jobs;
    the `io` worker also runs beat (once), whose reconciler must not wait behind renders."""
    return [
        worker_command(settings, beat=True, queues=(IO_QUEUE,)),
        worker_command(settings, queues=(RENDER_QUEUE,)),
    ]


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for a child process: ours, with every setting replaced by `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDGRAPH_")}
    env.update(settings.as_environment())
    return env


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_workers(workers: list[subprocess.Popen[bytes]], grace_s: float = 20.0) -> None:
    """Warm shutdown of every worker at once (each finishes its task), killed after `grace_s`
    with every process it started: a killed worker's job is re-sent once its lease lapses."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(grace_s)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        # Each worker leads a process group of its own (its pool, its beat). Killing only
        # the main process left those orphaned, still consuming, after `cardgraph dev` ended.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)


def run_dev(settings: Settings) -> int:
    """Run everything locally: embedded servers, io and render workers, the API; Ctrl-C stops
    it all."""
    settings = dev_settings(settings)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; as an exception here it
    # unwinds through the clean-up below, instead of ending the process and orphaning the
    # worker and the embedded servers.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        # One `cardgraph dev` per folder, and the API's port bound before anything starts.
        with (
            dev_lock(settings.data_dir) as record_state,
            bind_api_socket(settings.host, settings.port) as listening,
        ):
            settings = settings.model_copy(update={"port": listening.getsockname()[1]})
            status = _run_dev_stack(settings, listening, record_state)
    except (AlreadyRunningError, PortInUseError) as error:
        return _refuse("dev", str(error))
    print("cardgraph stopped", flush=True)
    return status


def _run_dev_stack(
    settings: Settings, listening: socket.socket, record_state: Callable[[DevState], None]
) -> int:
    with embedded_servers(settings) as running:
        secret = ensure_admin_key(running)
        # Data from before the ledger scheme (a folder used by an older cardgraph) moves over.
        ledger_commands.run_migrate_ledger(running)
        base_url = browsable_url(running.host, running.port)
        record_state(
            DevState(
                pid=os.getpid(),
                api_url=base_url,
                mongodb_url=running.mongodb_url,
                mongodb_database=running.mongodb_database,
                redis_url=running.redis_url,
            )
        )
        workers = [
            subprocess.Popen(command, env=child_env(running), start_new_session=True)
            for command in dev_worker_commands(running)
        ]
        url = f"{base_url}/graphql"
        print(
            f"\ncardgraph is starting: GraphQL at {url}\n"
            f"admin API key (also in {running.admin_key_path}):\n  {secret}\n"
            f"try: curl -s {url} -H 'Authorization: Bearer {secret}' "
            "-H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { name role } }\"}'\n",
            flush=True,
        )
        try:
            return serve(running, listening)
        finally:
            stop_workers(workers)


if __name__ == "__main__":
    raise SystemExit(main())
