"""The `cardgraph` command: dev, serve, worker, export-schema, create-api-key."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from cardgraph.access.models import ApiKey, Role
from cardgraph.embedded import EmbeddedServer, start_mongodb, start_redis
from cardgraph.jobs.names import QUEUES
from cardgraph.services import build_services
from cardgraph.settings import Settings, get_settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cardgraph` command."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # per-step INFO chatter
    if args.command == "dev":
        return run_dev(settings)
    if args.command == "serve":
        return serve(settings)
    if args.command == "worker":
        return subprocess.call(worker_command(settings), env=child_env(settings))
    if args.command == "export-schema":
        return export_schema(settings, args.output)
    _, secret = asyncio.run(issue_api_key(settings, args.name, Role[args.role.upper()], "cli"))
    print(secret)
    return 0


def export_schema(settings: Settings, output: Path | None) -> int:
    """Print or write the schema's SDL."""
    from cardgraph.graphql.schema import build_schema

    sdl = build_schema(settings).as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)
    return 0


def serve(settings: Settings) -> int:
    """Run the API with uvicorn until interrupted."""
    from cardgraph.app import create_app

    uvicorn.run(create_app(settings), **uvicorn_options(settings))
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


def worker_command(settings: Settings, *, beat: bool = False) -> list[str]:
    """The command line of one Celery worker consuming both queues (with beat: the scheduler)."""
    scheduler = ["-B", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "-Q",
        ",".join(QUEUES),
        "-c",
        str(settings.worker_concurrency),
        "--loglevel",
        settings.log_level.upper(),
        "--without-gossip",
        "--without-mingle",
        *(scheduler if beat else []),
    ]


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for a child process: ours, with every setting replaced by `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDGRAPH_")}
    env.update(settings.as_environment())
    return env


@contextlib.contextmanager
def embedded_servers(settings: Settings) -> Iterator[Settings]:
    """Start whichever servers are not configured; yield settings that point at them."""
    started: list[EmbeddedServer] = []
    update: dict[str, str] = {}
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        if not settings.mongodb_url:
            mongo = start_mongodb(settings.data_dir / "mongodb", log_path=logs / "mongodb.log")
            started.append(mongo)
            update["mongodb_url"] = mongo.url
            print(f"SecantusDB (development database) on {mongo.url}", flush=True)
        if not settings.redis_url:
            redis = start_redis(settings.data_dir / "valkey", log_path=logs / "valkey.log")
            started.append(redis)
            update["redis_url"] = redis.url
            print(f"Valkey on {redis.url}", flush=True)
        yield settings.model_copy(update=update)
    finally:
        for server in reversed(started):
            server.stop()


async def issue_api_key(settings: Settings, name: str, role: Role, by: str) -> tuple[ApiKey, str]:
    """Issue an API key directly in the database (bootstrap; no caller check)."""
    client = create_async_client(settings)
    try:
        await ensure_indexes(client[settings.mongodb_database])
        services = build_services(settings, client, None)
        return await services.api_keys.issue_key(name, role, created_by=by)
    finally:
        await client.close()


async def _admin_key_is_valid(settings: Settings, secret: str) -> bool:
    client = create_async_client(settings)
    try:
        principal = await build_services(settings, client, None).api_keys.authenticate(secret)
    except Exception:  # an unknown, revoked or unreadable key: issue a new one
        return False
    finally:
        await client.close()
    return principal.role is Role.ADMIN


def ensure_admin_key(settings: Settings) -> str:
    """The local admin key: read from `.cardgraph/admin.key`, or created there (mode 0600)."""
    path = settings.admin_key_path
    if path.exists():
        secret = path.read_text().strip()
        if asyncio.run(_admin_key_is_valid(settings, secret)):
            return secret
    _, secret = asyncio.run(issue_api_key(settings, "local-admin", Role.ADMIN, "cardgraph dev"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
    return secret


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_dev(settings: Settings) -> int:
    """Run everything locally: embedded servers, one worker, the API; Ctrl-C stops it all."""
    settings = dev_settings(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; as an exception here it
    # unwinds through the clean-up below, instead of ending the process and orphaning the
    # worker and the embedded servers.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with embedded_servers(settings) as running:
        secret = ensure_admin_key(running)
        worker = subprocess.Popen(
            worker_command(running, beat=True), env=child_env(running), start_new_session=True
        )
        url = f"http://{running.host}:{running.port}/graphql"
        print(
            f"\ncardgraph is starting: GraphQL at {url}\n"
            f"admin API key (also in {running.admin_key_path}):\n  {secret}\n"
            f"try: curl -s {url} -H 'Authorization: Bearer {secret}' "
            "-H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { name role } }\"}'\n",
            flush=True,
        )
        try:
            serve(running)
        finally:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    print("cardgraph stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
