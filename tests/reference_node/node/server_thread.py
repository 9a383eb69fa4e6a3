"""A key server on loopback in a thread with its own event loop, for end-to-end tests.

The node's and the auditor's command functions run their own loops (``asyncio.run``), so the
server they talk to cannot share the test's: it runs here, with a settable clock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from bluezone.reference_node.server.runner import RunningServer, ServerConfig, start_server

T = TypeVar("T")


class SettableClock:
    """Unix seconds that move only when a test says so; also a node `Clock`."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        """The settable unix time."""
        return self.now

    def monotonic(self) -> float:
        """The real monotonic clock (asyncio's own base)."""
        return time.monotonic()


class ServerThread:
    """``with ServerThread(config, clock) as server:`` serves on ``server.url``."""

    def __init__(self, config: ServerConfig, clock: SettableClock) -> None:
        self.config = config
        self.clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.server: RunningServer | None = None

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    @property
    def url(self) -> str:
        """The server's base URL."""
        assert self.server is not None
        return self.server.url

    def publish(self) -> int:
        """Publish one batch now (padding only when nothing is pending); return its number."""
        assert self.server is not None
        batch = self.call(self.server.publisher.publish_once(force=True))
        assert batch is not None
        return batch.number

    def __enter__(self) -> ServerThread:
        self._thread.start()
        try:
            self.server = self.call(start_server(self.config, clock=self.clock))
        except BaseException:
            self._close_loop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.server is not None:
                self.call(self.server.stop())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
