"""Benchmark a simulated day of three nodes: how much wall time a day of the real runtime takes.

    python benchmarks/node_day.py [--backend bumble|sim] [--hours 24] [--nodes 3]

Runs ``--nodes`` full nodes (rotation, duty-cycled scanning 4 s every 2-5 minutes, stores
on disk with FULL durability, daily pruning) on the bumble virtual link (each node a
bumble host on a virtual controller, every advertising event and report going through HCI)
or on the ``sim`` medium, under the virtual-time event loop, for ``--hours`` simulated
hours. Nodes sit 1.5 m apart in a row. Prints the wall time, the simulated/wall ratio and
the work done; the baseline printed beside it is the same run with the radios only (no
node runtime: each radio advertises one fixed payload and scans on the same duty cycle),
which is the floor the link itself sets. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bluezone.protocol.schedule import uniform_fraction
from bluezone.reference_node.node.runtime import Node, NodeConfig
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.bumble_radio import BumbleRadio
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.vtime import clock as vclock
from bluezone.reference_node.vtime.inline import open_inline_store

START = 1_763_856_000.0  # 2025-11-23 00:00 UTC
AD = bytes.fromhex("02011a03036ffd17166ffd") + bytes(20)


def radios(backend: str, count: int, seed: int) -> tuple[list, object]:
    channel = Channel(PathLossModel(), random.Random(seed))
    names = [f"node{n}" for n in range(count)]
    for n, name in enumerate(names):
        channel.place(name, Placement(Position(1.5 * n, 0.0)))
    if backend == "sim":
        medium = SimMedium(channel)
        return [medium.radio(name) for name in names], medium.transmissions
    link = VirtualLink(channel)
    made = [BumbleRadio.from_controller(VirtualController(name, link)) for name in names]
    return made, link.advertisements_sent


async def day_of_nodes(backend: str, count: int, hours: float, data: Path, seed: int) -> dict:
    made, sent = radios(backend, count, seed)
    nodes = []
    for n, radio in enumerate(made):
        store = open_inline_store(data / f"node{n}")
        rng = random.Random(f"{seed}:{n}")
        config = NodeConfig(name=f"node{n}", status_interval_s=None)
        nodes.append(Node(config, radio=radio, store=store, random_bytes=rng.randbytes))
    for node in nodes:
        await node.start()
    await asyncio.sleep(hours * 3600)
    for node in nodes:
        await node.stop()
        await node.store.close()
    return {
        "rotations": sum(n.rotations for n in nodes),
        "scans": sum(n.scans for n in nodes),
        "sightings": sum(n.sightings for n in nodes),
        "advertisements": sum(sent.values()),
    }


async def day_of_radios(backend: str, count: int, hours: float, seed: int) -> dict:
    made, sent = radios(backend, count, seed)
    rng = random.Random(seed)
    cycle = DutyCycle()
    heard = [0]

    async def scanner(radio) -> None:
        stream = radio.sightings()
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await radio.start_scanning()
            await asyncio.sleep(cycle.window_s)
            await radio.stop_scanning()
            while stream.get_nowait() is not None:
                heard[0] += 1
            period = cycle.period(uniform_fraction(rng.randbytes(4)))
            await asyncio.sleep(started + period - loop.time())

    for n, radio in enumerate(made):
        await radio.start()
        await radio.set_advertisement(AD, f"0{n % 4}:00:00:00:00:{n + 1:02X}")
    tasks = [asyncio.create_task(scanner(radio)) for radio in made]
    await asyncio.sleep(hours * 3600)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for radio in made:
        await radio.close()
    return {"sightings": heard[0], "advertisements": sum(sent.values())}


def timed(run) -> tuple[float, dict]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("bumble", "sim"), default="bumble")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bluezone-bench-") as tmp:
        wall, work = timed(
            lambda: vclock.run(
                day_of_nodes(args.backend, args.nodes, args.hours, Path(tmp), args.seed),
                wall_start=START,
            )
        )
    base_wall, base_work = timed(
        lambda: vclock.run(
            day_of_radios(args.backend, args.nodes, args.hours, args.seed), wall_start=START
        )
    )
    simulated = args.hours * 3600
    print(f"{args.nodes} nodes, {args.backend}, {args.hours:g} simulated hours")
    print(f"  node runtime: {wall:.1f} s wall ({simulated / wall:,.0f}x real time), {work}")
    print(f"  radios only (baseline): {base_wall:.1f} s wall, {base_work}")
    print(
        json.dumps(
            {
                "benchmark": "node_day",
                "backend": args.backend,
                "nodes": args.nodes,
                "simulated_s": simulated,
                "wall_s": round(wall, 3),
                "baseline_wall_s": round(base_wall, 3),
                **work,
            }
        )
    )


if __name__ == "__main__":
    main()
