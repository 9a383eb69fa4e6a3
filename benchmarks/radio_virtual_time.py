"""Wall time of simulated radio time: the bumble virtual link and the sim medium.

Scenarios, each one simulated hour under `vclock.VirtualTimeEventLoop`:
- two nodes 2 m apart, each advertising (200-270 ms) and scanning all the time, rotating
  address and payload every 10 minutes, on the bumble virtual link (legacy, then extended
  HCI commands) and on the sim medium;
- 200 nodes on a 2 m grid on the sim medium, each advertising all the time and scanning
  4 s every 200 s (spec ADV-13's duty cycle).

The baseline is real time: a simulated hour would take 3600 s on a real radio. CPU time
is printed beside wall time because the machine may be shared.

    python benchmarks/radio_virtual_time.py
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time

from bluezone.reference_node.radio.address import make_nrpa
from bluezone.reference_node.radio.bumble_radio import BumbleRadio, BumbleRadioConfig, CommandSet
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.vtime import clock as vclock

HOUR = 3600.0
ROTATION_S = 600.0
AD_PREFIX = bytes.fromhex("02011a03036ffd17166ffd")


def payload(rng: random.Random) -> bytes:
    return AD_PREFIX + hashlib.sha256(rng.randbytes(8)).digest()[:20]


async def count_sightings(radio, counter: list[int]) -> None:
    async for _ in radio.sightings():
        counter[0] += 1


async def rotate(radio, rng: random.Random) -> None:
    end = asyncio.get_running_loop().time() + HOUR
    while asyncio.get_running_loop().time() < end:
        await radio.set_advertisement(payload(rng), make_nrpa(rng.randbytes(6)))
        await asyncio.sleep(ROTATION_S)


async def two_nodes(backend: str) -> int:
    channel = Channel(PathLossModel(), random.Random(1))
    channel.place("a", Placement(Position(0, 0)))
    channel.place("b", Placement(Position(2, 0)))
    if backend == "sim":
        medium = SimMedium(channel)
        radios = [medium.radio("a"), medium.radio("b")]
    else:
        link = VirtualLink(channel)
        config = BumbleRadioConfig(commands=CommandSet(backend))
        radios = [
            BumbleRadio.from_controller(VirtualController(node, link), config=config)
            for node in ("a", "b")
        ]
    counter = [0]
    for radio in radios:
        await radio.start()
        await radio.start_scanning()
    consumers = [asyncio.create_task(count_sightings(r, counter)) for r in radios]
    rng = random.Random(2)
    await asyncio.gather(*(rotate(r, random.Random(rng.random())) for r in radios))
    for radio in radios:
        await radio.close()
    await asyncio.gather(*consumers)
    return counter[0]


async def crowd(nodes: int) -> int:
    channel = Channel(PathLossModel(), random.Random(1))
    for i in range(nodes):
        channel.place(f"n{i}", Placement(Position(i % 20 * 2.0, i // 20 * 2.0)))
    medium = SimMedium(channel)
    counter = [0]

    async def node(radio, rng: random.Random) -> None:
        await radio.start()
        consumer = asyncio.create_task(count_sightings(radio, counter))
        await radio.set_advertisement(payload(rng), make_nrpa(rng.randbytes(6)))
        await asyncio.sleep(rng.uniform(0, 200))
        end = asyncio.get_running_loop().time() + HOUR - 200
        while asyncio.get_running_loop().time() < end:
            await radio.start_scanning()
            await asyncio.sleep(4)
            await radio.stop_scanning()
            await asyncio.sleep(196)
        await radio.close()
        await consumer

    rng = random.Random(3)
    await asyncio.gather(
        *(node(medium.radio(f"n{i}"), random.Random(rng.random())) for i in range(nodes))
    )
    return counter[0]


def measure(label: str, coro) -> None:
    start, cpu_start = time.perf_counter(), time.process_time()
    sightings = vclock.run(coro)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"{label:<50} {elapsed:7.2f} s wall {cpu:7.2f} s CPU  {HOUR / elapsed:6.0f}x real time"
        f"  {sightings:>9} sightings  {sightings / cpu:7.0f} sightings per CPU s"
    )


def main() -> None:
    print("baseline: real time, 3600 s per simulated hour")
    measure("bumble virtual link, 2 nodes, legacy commands", two_nodes("legacy"))
    measure("bumble virtual link, 2 nodes, extended commands", two_nodes("extended"))
    measure("sim medium, 2 nodes", two_nodes("sim"))
    measure("sim medium, 200 nodes, scanning 4 s every 200 s", crowd(200))


if __name__ == "__main__":
    main()
