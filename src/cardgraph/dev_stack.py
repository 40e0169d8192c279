"""The parts of `cardgraph dev` around its processes: embedded servers and the admin key."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

from cardgraph.access.models import ApiKey
from cardgraph.embedded import EmbeddedServer, start_mongodb, start_redis
from cardgraph.principals import Role
from cardgraph.services import build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes


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
