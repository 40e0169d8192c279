"""Real servers for the test session: SecantusDB, Valkey and the API under uvicorn."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from cardgraph.app import create_app
from cardgraph.embedded import free_port
from cardgraph.settings import Settings


@contextmanager
def running_api(settings: Settings) -> Iterator[str]:
    """Serve `create_app(settings)` on loopback (its port, or a free one); yield its base URL."""
    with running_app(settings) as (url, _):
        yield url


@contextmanager
def running_app(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """Serve `create_app(settings)` with uvicorn; yield its base URL and the app itself."""
    port = settings.port or free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)


class GraphQLClient:
    """A small GraphQL-over-HTTP client bound to one API key."""

    def __init__(self, base_url: str, key: str | None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        """Send one operation; return the raw response."""
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}})

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one operation; return the JSON body (data and errors)."""
        response = self.post(query, variables)
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one operation that must succeed; return its data."""
        body = self.execute(query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one operation that must fail; return its first error."""
        body = self.execute(query, variables)
        assert body.get("errors"), body
        error: dict[str, Any] = body["errors"][0]
        return error


# Well inside pytest-timeout's 120 s, which shows only the threads' stacks: the event loop's
# thread is then always in select(), whatever coroutine is stuck.
STUCK_AFTER_S = 60.0


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to completion on a fresh event loop (for direct database checks); if it
    is still running after a minute, print where each task waits (shown with the failure)."""

    async def watched() -> Any:
        main = asyncio.current_task()
        handle = asyncio.get_running_loop().call_later(STUCK_AFTER_S, print_task_stacks, main)
        try:
            return await coroutine
        finally:
            handle.cancel()

    return asyncio.run(watched())


def print_task_stacks(main: asyncio.Task[Any] | None = None) -> None:
    """Print every task of the running loop and the line it waits on, to stderr."""
    print(f"--- asyncio tasks still running after {STUCK_AFTER_S:.0f} s ---", file=sys.stderr)
    # A report shows the tail of the output: the driver's own monitors (idle in most dumps) go
    # first, the test's own tasks last, its outermost (the scenario) at the very end.
    tasks = sorted(
        asyncio.all_tasks(), key=lambda t: (t is main, not t.get_name().startswith("pymongo_"))
    )
    for task in tasks:
        print(f"task {task.get_name()}:", file=sys.stderr)
        # Task.print_stack() shows only the outermost coroutine; follow what each one awaits.
        awaited: Any = task.get_coro()
        manager: Any = None
        while awaited is not None:
            frame = (
                getattr(awaited, "cr_frame", None)
                or getattr(awaited, "gi_frame", None)
                or getattr(awaited, "ag_frame", None)
            )
            if frame is None and manager is not None:
                # An `async with` block's exit awaits its generator through an object that does
                # not name it; the context manager (contextlib's `self`) does.
                awaited, manager = getattr(manager, "gen", None), None
                continue
            if frame is not None:
                code = frame.f_code
                print(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}", file=sys.stderr)
                manager = frame.f_locals.get("self")
            # Coroutines, generators, and async generators.
            awaited = (
                getattr(awaited, "cr_await", None)
                or getattr(awaited, "gi_yieldfrom", None)
                or getattr(awaited, "ag_await", None)
            )


@contextmanager
def serving_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve a request handler on a loopback port (identity providers, throttling APIs)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
