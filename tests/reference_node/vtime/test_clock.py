"""The virtual-time event loop and the clocks."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.reference_node.vtime import clock as vclock

DAY = 86_400.0


def test_sleeps_jump_to_their_deadline():
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(365 * DAY)
        return loop.time()

    assert vclock.run(main()) == 365 * DAY


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=30 * DAY), min_size=1, max_size=40))
def test_timers_fire_in_order_at_their_time(delays):
    async def main():
        loop = asyncio.get_running_loop()
        fired: list[tuple[float, float]] = []
        for delay in delays:
            loop.call_later(delay, lambda d=delay: fired.append((d, loop.time())))
        await asyncio.sleep(max(delays) + 1)
        return fired

    fired = vclock.run(main())
    assert [d for d, _ in fired] == sorted(delays)
    for delay, at in fired:
        assert at == pytest.approx(delay, abs=1e-6)


def test_wall_clock_follows_virtual_time():
    async def main():
        loop = asyncio.get_running_loop()
        clock = vclock.current_clock()
        before = clock.wall(), clock.monotonic()
        await asyncio.sleep(600)
        return loop.clock is clock, before, (clock.wall(), clock.monotonic())

    same, before, after = vclock.run(main(), wall_start=1_600_000_000.0)
    assert same
    assert before == (1_600_000_000.0, 0.0)
    assert after == (1_600_000_600.0, 600.0)


def test_timeouts_fire_at_virtual_deadlines():
    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(DAY), timeout=30)
        first = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.Event().wait()
        return first, loop.time()

    assert vclock.run(main()) == (30.0, 35.0)


def test_ready_io_is_handled_before_time_jumps():
    async def main():
        loop = asyncio.get_running_loop()
        left, right = socket.socketpair()
        left.setblocking(False)
        right.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=left)
        right.send(b"now")
        got_now = await reader.read(3), loop.time()
        loop.call_later(7, right.send, b"later")
        got_later = await reader.read(5), loop.time()
        writer.close()
        right.close()
        return got_now, got_later

    assert vclock.run(main()) == ((b"now", 0.0), (b"later", 7.0))


def test_time_does_not_go_backwards():
    loop = vclock.VirtualTimeEventLoop()
    try:
        with pytest.raises(ValueError):
            loop.advance(-1)
    finally:
        loop.close()


def test_real_loops_get_the_system_clock():
    async def main():
        return vclock.current_clock()

    assert isinstance(asyncio.run(main()), vclock.SystemClock)
