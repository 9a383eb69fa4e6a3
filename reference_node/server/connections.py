"""Slow and many clients: a connection cap, a header deadline and a body deadline (OPS-1, OPS-2).

``GuardedAppRunner`` is aiohttp's ``AppRunner`` with a protocol factory that counts open
connections and answers ``503`` and closes any connection past the cap (before it holds a
file descriptor for long), and closes a connection that has not sent a whole request head
within the header deadline, counted from its start or from the end of its previous answer
(keep-alive). ``read_body`` in ``requests`` enforces the body deadline. Without these, a
thousand clients that send half a request and wait hold the server's descriptors forever
and nobody else gets in.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger("bluezone.server.connections")

# spec OPS-1, OPS-2: defaults.
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 4096
# Descriptors kept free of client connections: storage, files, logs, the listening socket.
RESERVED_DESCRIPTORS = 64
_BUSY_BODY = b'{"error": "server_busy", "message": "OPS-2: too many open connections"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\n\r\n".encode()
    + _BUSY_BODY
)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Deadlines in seconds and the connection cap (spec OPS-1, OPS-2)."""

    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def __post_init__(self) -> None:
        if not (self.header_timeout_s > 0 and self.body_timeout_s > 0):
            raise ValueError("OPS-1: deadlines must be positive")
        if self.max_connections < 1:
            raise ValueError("OPS-2: the connection cap must be at least 1")


def descriptor_cap(wanted: int) -> int:
    """Return ``wanted`` lowered to the process's file-descriptor limit less a reserve (OPS-2)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    room = max(1, soft - RESERVED_DESCRIPTORS)
    if room < wanted:
        log.warning(
            "the file-descriptor limit (%d) allows %d connections, not %d: raise it "
            "(LimitNOFILE) to serve more",
            soft,
            room,
            wanted,
        )
    return min(wanted, room)


class _Guard(asyncio.Protocol):
    """One connection: aiohttp's handler behind the cap and the header deadline."""

    def __init__(self, handler: asyncio.Protocol, server: _GuardedServer) -> None:
        self.handler = handler
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if len(self.server.guards) >= self.server.max_connections:
            # spec OPS-2: refused before reading anything; the descriptor is freed at once.
            self.server.refused += 1
            transport.write(_BUSY)
            transport.close()
            return
        self.counted = True
        self.server.guards[transport] = self
        self.handler.connection_made(transport)
        self.wait_for_head()

    def wait_for_head(self) -> None:
        """Start (or restart) the header deadline (spec OPS-1)."""
        self.stop_waiting()
        loop = asyncio.get_running_loop()
        self.deadline = loop.call_later(self.server.limits.header_timeout_s, self._expired)

    def stop_waiting(self) -> None:
        """A request head arrived: no header deadline while it is handled."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _expired(self) -> None:
        self.deadline = None
        self.server.expired += 1
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.counted:
            self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received() if self.counted else None

    def pause_writing(self) -> None:
        if self.counted:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self.counted:
            self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_waiting()
        if self.counted:
            self.counted = False
            self.server.guards.pop(self.transport, None)  # type: ignore[arg-type]
            self.handler.connection_lost(exc)


class _GuardedServer:
    """The protocol factory: aiohttp's ``Server`` with every connection guarded."""

    def __init__(self, server: web.Server, limits: ConnectionLimits) -> None:
        self.inner = server
        self.limits = limits
        self.max_connections = descriptor_cap(limits.max_connections)
        self.guards: dict[asyncio.Transport, _Guard] = {}
        self.refused = 0
        self.expired = 0

    def __call__(self) -> _Guard:
        return _Guard(self.inner(), self)

    def __getattr__(self, name: str) -> Any:
        # Shutdown and connection bookkeeping stay aiohttp's.
        return getattr(self.inner, name)


class GuardedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections are capped and must send a head in time."""

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        """Guard ``app``'s connections with ``limits``; other arguments are AppRunner's."""
        self.limits = limits
        self.guarded: _GuardedServer | None = None
        app.middlewares.insert(0, self._request_seen)
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        self.guarded = _GuardedServer(await super()._make_server(), self.limits)
        return self.guarded  # type: ignore[return-value]

    @web.middleware
    async def _request_seen(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        guard = None if self.guarded is None else self.guarded.guards.get(request.transport)  # type: ignore[arg-type]
        if guard is not None:
            guard.stop_waiting()
        try:
            return await handler(request)
        finally:
            if guard is not None and guard.counted:
                guard.wait_for_head()  # keep-alive: the next head has the same deadline

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        return 0 if self.guarded is None else len(self.guarded.guards)
