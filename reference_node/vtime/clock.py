"""Clocks for the node, and an asyncio event loop that runs on virtual time.

The node reads time through a `Clock` (monotonic seconds on the running loop's time base,
and unix wall seconds), never from `time` directly, so a simulation can run a day in
seconds. `VirtualTimeEventLoop` is a selector event loop whose `time()` only moves when the
loop has nothing ready to run: it then jumps to the next scheduled timer instead of
sleeping. Every `asyncio.sleep`, `call_later`, `wait_for` timeout and `asyncio.timeout`
therefore takes no wall time, and their order is kept exactly.

Sockets and pipes still work (they are polled without blocking before each jump), but the
loop cannot know about work done by threads: code awaiting a thread or executor while a
timer is pending sees the timer fire first. Use it for in-process simulations (the virtual
BLE link, the `sim` medium), not with hardware transports.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Coroutine, Mapping
from typing import Any, Protocol, TypeVar

_T = TypeVar("_T")
_CLOCK_RESOLUTION_S = 1e-6


class Clock(Protocol):
    """A source of time: `monotonic()` on the running loop's base, `wall()` in unix seconds."""

    def monotonic(self) -> float:
        """Seconds on the same base as the running event loop's `time()`."""
        ...

    def wall(self) -> float:
        """Unix time in seconds (UTC)."""
        ...


class SystemClock:
    """The real clocks: `time.monotonic()` (asyncio's default loop time) and `time.time()`."""

    def monotonic(self) -> float:
        """Seconds from the system monotonic clock."""
        return time.monotonic()

    def wall(self) -> float:
        """Unix seconds from the system clock."""
        return time.time()


class LoopClock:
    """The clock of a `VirtualTimeEventLoop`: its time, and wall time offset from it."""

    def __init__(self, loop: VirtualTimeEventLoop) -> None:
        self._loop = loop

    def monotonic(self) -> float:
        """The loop's virtual time in seconds."""
        return self._loop.time()

    def wall(self) -> float:
        """Unix seconds: the loop's wall start plus the virtual time elapsed."""
        return self._loop.wall_start + (self._loop.time() - self._loop.time_start)


class _VirtualSelector(selectors.BaseSelector):
    """Wraps a real selector: polls it without blocking, and jumps time instead of waiting."""

    def __init__(self, inner: selectors.BaseSelector, loop: VirtualTimeEventLoop) -> None:
        self._inner = inner
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing is scheduled: only I/O (or another thread) can wake the loop.
            return self._inner.select(None)
        # Idle until the next timer: jump there instead of sleeping.
        self._loop.advance(timeout)
        return []

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop on virtual time: idle waits take no wall time.

    `time()` starts at `time_start` and advances only when every ready callback has run
    and no I/O is pending; it then jumps by the time to the next timer. `wall_start` is
    the unix time that corresponds to `time_start` (see `clock`).
    """

    def __init__(self, *, wall_start: float = 0.0, time_start: float = 0.0) -> None:
        self.time_start = float(time_start)
        self.wall_start = float(wall_start)
        self._now = self.time_start
        self.clock = LoopClock(self)
        super().__init__(_VirtualSelector(selectors.DefaultSelector(), self))
        # asyncio runs a timer when its deadline is below time() + _clock_resolution. With
        # the monotonic clock's 1 ns, that sum stops changing once time() passes about
        # 2**24 s (194 days) and a timer due exactly now never runs; 1 us holds for
        # 2**33 s (272 years) of simulated time.
        self._clock_resolution = max(self._clock_resolution, _CLOCK_RESOLUTION_S)

    def time(self) -> float:
        """The virtual time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by `seconds` (>= 0); timers due by then run next."""
        if seconds < 0:
            raise ValueError("virtual time cannot go backwards")
        self._now += seconds


def clock_for(loop: asyncio.AbstractEventLoop) -> Clock:
    """The clock matching `loop`: its virtual clock, or the system clock for real loops."""
    if isinstance(loop, VirtualTimeEventLoop):
        return loop.clock
    return SystemClock()


def current_clock() -> Clock:
    """The clock matching the running event loop (see `clock_for`)."""
    return clock_for(asyncio.get_running_loop())


def run(main: Coroutine[Any, Any, _T], *, wall_start: float = 0.0, debug: bool = False) -> _T:
    """Run `main` to completion on a fresh `VirtualTimeEventLoop`, like `asyncio.run`.

    `wall_start` is the unix time the simulation starts at (the loop's `clock.wall()`).
    """
    with asyncio.Runner(
        debug=debug, loop_factory=lambda: VirtualTimeEventLoop(wall_start=wall_start)
    ) as runner:
        return runner.run(main)
