"""How long an open WebSocket outlives its key: revoke through one API process, time the close
(4403) of sockets held on that process and on a second one. Target: every socket within 1 s."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import Row, api_process, report, stack, summary
from cardgraph.cli import issue_api_key
from cardgraph.embedded import free_port
from cardgraph.principals import Role
from cardgraph.settings import Settings

ROUNDS = 20
SOCKETS_PER_PROCESS = 5


async def _open(url: str, key: str) -> ClientConnection:
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
    )
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "e",
                "type": "subscribe",
                "payload": {"query": "subscription { cardEvents { kind } }"},
            }
        )
    )
    return socket


async def _closed_after(socket: ClientConnection, start: list[float]) -> float:
    try:
        while True:
            await socket.recv()
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
    if code != 4403:
        raise RuntimeError(f"closed with {code}, not 4403")
    return time.perf_counter() - start[0]


async def _round(settings: Settings, urls: list[str], admin: str) -> list[float]:
    key, secret = await issue_api_key(settings, "bench-revoked", Role.ADMIN, "bench")
    sockets = [await _open(url, secret) for url in urls for _ in range(SOCKETS_PER_PROCESS)]
    start = [0.0]
    waits = [asyncio.ensure_future(_closed_after(s, start)) for s in sockets]
    async with httpx.AsyncClient(
        base_url=urls[0].replace("ws", "http", 1)[: -len("/graphql")]
    ) as http:
        start[0] = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
                "variables": {"id": key.id},
            },
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert "errors" not in response.json(), response.text
    return list(await asyncio.gather(*waits))


def main() -> None:
    """Run the rounds and print the close delays."""
    with stack() as servers:
        first = servers.settings
        second = first.model_copy(update={"port": free_port()})
        with api_process(first), api_process(second):
            urls = [f"ws://127.0.0.1:{s.port}/graphql" for s in (first, second)]
            _, admin = asyncio.run(issue_api_key(first, "bench-admin", Role.ADMIN, "bench"))
            delays: list[float] = []
            for _ in range(ROUNDS):
                delays += asyncio.run(_round(first, urls, admin))
    figures = summary([d * 1000 for d in delays])
    report(
        "revocation_latency",
        [
            Row(
                f"revocation → socket closed (4403), {len(delays)} sockets on 2 processes, p50",
                f"{figures['p50']:.1f} ms",
                target="≤ 1000 ms",
            ),
            Row("  p99", f"{figures['p99']:.1f} ms", target="≤ 1000 ms"),
            Row("  worst", f"{max(delays) * 1000:.1f} ms", target="≤ 1000 ms"),
        ],
    )


if __name__ == "__main__":
    main()
