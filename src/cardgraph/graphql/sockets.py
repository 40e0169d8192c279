"""Open WebSockets: their size limit, their principal, and closing them when access ends.

Each API process keeps a registry of its authenticated sockets by key. A revoked key's
sockets close (4403) as soon as the revocation event reaches the process — every process
hears it on Redis — and a sweep re-authorises every socket now and then, so a lost event
costs at most one sweep interval. OIDC sockets close when their token expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Coroutine

from starlette.types import Message, Receive, Scope, Send

from cardgraph.access.authenticator import Authenticator
from cardgraph.clock import utc_now_ms
from cardgraph.errors import CardgraphError, UnauthenticatedError
from cardgraph.events.hub import EventHub
from cardgraph.principals import Principal

logger = logging.getLogger("cardgraph.graphql")

CLOSE_FORBIDDEN = 4403  # graphql-transport-ws: the connection's credentials are refused
CLOSE_TOO_MANY = 4429  # graphql-transport-ws: too many connections (of this key)
CLOSE_TOO_BIG = 1009  # RFC 6455: message too big
MAX_REASON = 120  # a close reason must fit in 123 bytes


class WebSocketChannel:
    """The ASGI channel of one socket, which cardgraph itself can close.

    Messages above `max_bytes` close the socket (1009). Once cardgraph has closed it, the
    application gets a disconnect at once and whatever it still sends is dropped.
    """

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive = receive
        self._send = send
        self._max_bytes = max_bytes
        self._closed = asyncio.Event()
        self._close_code = 1000
        self._pending: asyncio.Task[Message] | None = None

    @property
    def closed(self) -> bool:
        """Whether the socket was closed (by either side)."""
        return self._closed.is_set()

    async def close(self, code: int, reason: str) -> None:
        """Close the socket now with `code` (once; later calls do nothing)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._close_code = code
        with contextlib.suppress(Exception):  # the peer may be gone already
            await self._send(
                {"type": "websocket.close", "code": code, "reason": reason[:MAX_REASON]}
            )

    async def receive(self) -> Message:
        """The next message from the client, or a disconnect once the socket is closed."""
        while True:
            if self._closed.is_set():
                return {"type": "websocket.disconnect", "code": self._close_code}
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._receive())
            closing = asyncio.ensure_future(self._closed.wait())
            try:
                await asyncio.wait({self._pending, closing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                closing.cancel()
            if not self._pending.done():
                continue  # closed meanwhile: answer with the disconnect above
            message = self._pending.result()
            self._pending = None
            if message["type"] == "websocket.disconnect":
                self._closed.set()
                return message
            if message["type"] == "websocket.receive" and self._too_big(message):
                await self.close(CLOSE_TOO_BIG, "BAD_REQUEST: message too big")
                continue
            return message

    async def send(self, message: Message) -> None:
        """Send to the client, unless the socket is closed."""
        if message["type"] == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
            return
        if self._closed.is_set():
            return
        data = message.get("bytes") if message["type"] == "websocket.send" else None
        if data is not None:
            # graphql-transport-ws messages are text frames: standard clients refuse binary ones,
            # and strawberry sends binary whenever the view encodes JSON as bytes (orjson).
            message = {"type": "websocket.send", "text": data.decode()}
        await self._send(message)

    def release(self) -> None:
        """Stop waiting for the client (the application is done)."""
        if self._pending is not None:
            self._pending.cancel()

    def _too_big(self, message: Message) -> bool:
        text = message.get("text")
        if text is not None:
            # A character takes at most four bytes: only long texts need encoding to count.
            return len(text) * 4 > self._max_bytes and len(text.encode()) > self._max_bytes
        data = message.get("bytes")
        return data is not None and len(data) > self._max_bytes


class SocketSession:
    """One authenticated socket: its channel, token and principal."""

    def __init__(self, channel: WebSocketChannel, authenticator: Authenticator, token: str) -> None:
        self.channel = channel
        self._authenticator = authenticator
        self.token = token
        self.principal: Principal | None = None
        self._expiry: asyncio.TimerHandle | None = None

    async def authenticate(self) -> Principal:
        """Check the token against the key's current state (at connection_init, before each
        operation, on each sweep); on failure the socket closes (4403) and the error rises."""
        try:
            principal = await self._authenticator.authenticate(self.token)
        except UnauthenticatedError as error:
            await self.close(CLOSE_FORBIDDEN, f"{error.code}: {error.message}")
            raise
        self.principal = principal
        self._watch_expiry(principal)
        return principal

    async def close(self, code: int, reason: str) -> None:
        """Close the socket."""
        if self._expiry is not None:
            self._expiry.cancel()
        await self.channel.close(code, reason)

    def _watch_expiry(self, principal: Principal) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if principal.expires_at is None:
            return
        delay = max(0.0, (principal.expires_at - utc_now_ms()).total_seconds())
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expired)

    def _expired(self) -> None:
        _spawn(self.close(CLOSE_FORBIDDEN, "UNAUTHENTICATED: the token has expired"))


_background: set[asyncio.Future[None]] = set()


def _spawn(closing: Coroutine[None, None, None]) -> None:
    """Run a closing in the background, keeping a reference until it is done."""
    task = asyncio.ensure_future(closing)
    _background.add(task)
    task.add_done_callback(_background.discard)


class SocketRegistry:
    """This process's authenticated sockets, by key id."""

    def __init__(self, max_per_key: int, sweep_interval_s: float) -> None:
        self._max_per_key = max_per_key
        self._sweep_interval_s = sweep_interval_s
        self._by_key: dict[str, set[SocketSession]] = defaultdict(set)

    def count(self, key_id: str) -> int:
        """Open sockets of a key in this process."""
        return len(self._by_key.get(key_id, ()))

    def total(self) -> int:
        """Open authenticated sockets in this process (every key)."""
        return sum(len(sessions) for sessions in self._by_key.values())

    async def register(self, session: SocketSession) -> None:
        """Add an authenticated socket; past the per-key limit it is closed (4429)."""
        assert session.principal is not None
        key_id = session.principal.key_id
        if self.count(key_id) >= self._max_per_key:
            await session.close(
                CLOSE_TOO_MANY,
                f"RATE_LIMITED: at most {self._max_per_key} sockets per key",
            )
            raise UnauthenticatedError("too many sockets for this key")
        self._by_key[key_id].add(session)

    def unregister(self, session: SocketSession) -> None:
        """Forget a socket that has closed."""
        if session.principal is None:
            return
        sessions = self._by_key.get(session.principal.key_id)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._by_key[session.principal.key_id]

    async def revoked(self, key_id: str) -> None:
        """Close every socket of a revoked key."""
        for session in tuple(self._by_key.get(key_id, ())):
            await session.close(CLOSE_FORBIDDEN, "UNAUTHENTICATED: this API key has been revoked")

    async def sweep(self) -> None:
        """Re-authorise every socket (closing those whose access has ended)."""
        for sessions in tuple(self._by_key.values()):
            for session in tuple(sessions):
                with contextlib.suppress(CardgraphError):
                    await session.authenticate()

    async def run(self, hub: EventHub | None) -> None:
        """Close revoked keys' sockets as revocations are heard; sweep now and then."""
        if hub is not None:
            hub.on_revocation(lambda key_id: _spawn(self.revoked(key_id)))
        await self._sweep_forever()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval_s)
            try:
                await self.sweep()
            except Exception:  # the next sweep tries again; revocation events still close
                logger.exception("socket sweep failed")


def websocket_channel(
    scope: Scope, receive: Receive, send: Send, max_bytes: int
) -> WebSocketChannel:
    """The channel of a new socket, kept in its scope for the view to find."""
    channel = WebSocketChannel(receive, send, max_bytes)
    scope["cardgraph.channel"] = channel
    return channel
