"""What is particular to the sim medium: idle advertisers cost nothing, scale, scheduling."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from bluezone.reference_node.errors import RadioStateError
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium, SimRadioConfig
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.radio.support import drain, fresh_addresses, payload


def medium_with(nodes: int, spacing_m: float = 1.0, seed: int = 1) -> SimMedium:
    channel = Channel(PathLossModel(), random.Random(seed))
    for i in range(nodes):
        channel.place(f"n{i}", Placement(Position(i % 20 * spacing_m, i // 20 * spacing_m)))
    return SimMedium(channel)


def test_advertisers_send_nothing_while_nobody_scans():
    async def main():
        medium = medium_with(2)
        a, b = medium.radio("n0"), medium.radio("n1")
        await a.start()
        await b.start()
        await a.set_advertisement(payload(1), next(fresh_addresses(random.Random(1))))
        await asyncio.sleep(3600)
        idle = medium.transmissions["n0"]
        await b.start_scanning()
        await asyncio.sleep(60)
        scanning = medium.transmissions["n0"]
        await b.stop_scanning()
        await asyncio.sleep(3600)
        return idle, scanning, medium.transmissions["n0"]

    idle, scanning, after = vclock.run(main())
    assert idle == 0
    assert 60 / 0.280 - 1 <= scanning <= 60 / 0.200 + 1
    assert after == scanning


def test_a_hundred_nodes_each_scanning_once():
    """Every node advertises and scans one 4 s window at its own phase (spec ADV-13)."""

    async def node(radio, rng, heard):
        address = next(fresh_addresses(rng))
        await radio.set_advertisement(payload(rng.getrandbits(32)), address)
        stream = radio.sightings()
        await asyncio.sleep(rng.uniform(0, 200))
        opened = asyncio.get_running_loop().time()
        await radio.start_scanning()
        await asyncio.sleep(4)
        await radio.stop_scanning()
        heard[radio.node] = (address, opened, drain(stream))

    async def main():
        medium = medium_with(100, spacing_m=2.0)
        radios = [medium.radio(f"n{i}") for i in range(100)]
        for radio in radios:
            await radio.start()
        heard: dict = {}
        rng = random.Random(2)
        await asyncio.gather(*(node(r, random.Random(rng.random()), heard) for r in radios))
        return heard

    heard = vclock.run(main())
    addresses = {address for address, _, _ in heard.values()}
    for own, opened, sightings in heard.values():
        # at most 39 m apart (mean RSSI -91 dBm, sensitivity -100): everyone hears everyone
        assert {s.address for s in sightings} == addresses - {own}
        assert all(opened <= s.monotonic_time <= opened + 4 for s in sightings)
        assert len(sightings) >= 99 * 4 / 0.280 * 0.9


def test_one_radio_per_node_and_no_use_after_close():
    async def main():
        medium = medium_with(1)
        first = medium.radio("n0")
        await first.start()
        with pytest.raises(RadioStateError):
            await medium.radio("n0").start()
        await first.close()
        with pytest.raises(RadioStateError):
            await first.start_scanning()
        second = medium.radio("n0")
        await second.start()
        with pytest.raises(RadioStateError):
            await medium.radio("n0").stop_scanning()  # not started

    vclock.run(main())


class ManualScheduler:
    """A scheduler driven by hand, to show the medium needs nothing else."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[tuple[float, object, tuple]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when, callback, *args):
        entry = [when, callback, args, False]
        self.calls.append(entry)

        class Handle:
            def cancel(self_inner) -> None:
                entry[3] = True

        return Handle()

    def run_until(self, deadline: float) -> None:
        while True:
            due = [c for c in self.calls if not c[3] and c[0] <= deadline]
            if not due:
                break
            call = min(due, key=lambda c: c[0])
            self.calls.remove(call)
            self.now = call[0]
            call[1](*call[2])
        self.now = deadline


class StepClock:
    def __init__(self, scheduler: ManualScheduler) -> None:
        self.scheduler = scheduler

    def monotonic(self) -> float:
        return self.scheduler.now

    def wall(self) -> float:
        return 1e9 + self.scheduler.now


def test_an_injected_scheduler_and_clock_drive_the_medium():
    async def setup(medium):
        a, b = medium.radio("n0", SimRadioConfig(100, 100)), medium.radio("n1")
        for radio in (a, b):
            await radio.start()
        stream = b.sightings()
        await b.start_scanning()
        await a.set_advertisement(payload(1), "3A:1F:00:9C:12:7E")
        return stream

    scheduler = ManualScheduler()
    medium = medium_with(2)
    medium = SimMedium(medium.channel, scheduler=scheduler, clock=StepClock(scheduler))
    stream = asyncio.run(setup(medium))
    scheduler.run_until(10.0)
    heard = drain(stream)
    # 100 ms interval plus 0-10 ms advDelay, starting at once
    assert 10 / 0.110 <= len(heard) <= 10 / 0.100 + 1
    assert heard[0].monotonic_time == 0.0
    assert heard[0].wall_time == 1e9
    times = [s.monotonic_time for s in heard]
    assert all(0.100 <= later - earlier <= 0.110 for earlier, later in itertools.pairwise(times))
