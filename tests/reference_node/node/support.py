"""Nodes on one simulated medium for the node's tests: the bumble virtual link or sim."""

from __future__ import annotations

import dataclasses
import datetime
import io
import random
from pathlib import Path

from bluezone.reference_node.node.key_source import KeySource
from bluezone.reference_node.node.runtime import (
    Node,
    NodeCalibration,
    NodeConfig,
    Rotation,
    ScanSummary,
)
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.bumble_radio import BumbleRadio, BumbleRadioConfig, CommandSet
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.store import AsyncStore
from bluezone.reference_node.vtime.inline import open_inline_store

# 2025-11-23 10:00 UTC, and that day's midnight.
START = datetime.datetime(2025, 11, 23, 10, 0, tzinfo=datetime.UTC).timestamp()
MIDNIGHT = datetime.datetime(2025, 11, 23, tzinfo=datetime.UTC).timestamp()
RSSI_AT_1M = -59.0
CALIBRATION = NodeCalibration(tx_power_dbm=-4, rssi_correction_db=0, confidence=1)
MODEL = PathLossModel(exponent=2.0, shadowing_sigma_db=4.0, sensitivity_dbm=-100.0)


@dataclasses.dataclass
class World:
    """Started nodes on one channel, with what each reported to its observers."""

    channel: Channel
    nodes: dict[str, Node]
    stores: dict[str, AsyncStore]
    rotations: dict[str, list[Rotation]]
    scans: dict[str, list[ScanSummary]]
    captures: dict[str, io.BytesIO]
    sent: dict[str, int]

    async def stop(self) -> None:
        """Stop every node (radios close); the stores stay open."""
        for node in self.nodes.values():
            await node.stop()

    async def close(self) -> None:
        """Stop the nodes and close the stores."""
        await self.stop()
        for store in self.stores.values():
            await store.close()


async def make_world(
    tmp_path: Path,
    positions: dict[str, Position],
    *,
    backend: str = "bumble",
    duty_cycle: DutyCycle | None = None,
    seed: int = 1,
    key_source: KeySource | None = None,
    capture: tuple[str, ...] = (),
    commands: CommandSet = CommandSet.AUTO,
    legacy_commands: bool = True,
    start: bool = True,
) -> World:
    """Nodes at ``positions`` on ``backend`` ("bumble" or "sim"), started unless told not to.

    ``capture`` names the nodes whose HCI traffic is recorded (bumble only).
    """
    channel = Channel(MODEL, random.Random(seed))
    for name, position in positions.items():
        channel.place(name, Placement(position, RSSI_AT_1M))
    world = World(channel, {}, {}, {}, {}, {}, {})
    medium = SimMedium(channel) if backend == "sim" else None
    link = VirtualLink(channel) if backend == "bumble" else None
    for name in positions:
        if medium is not None:
            radio = medium.radio(name)
        else:
            assert link is not None
            snoop = None
            if name in capture:
                world.captures[name] = io.BytesIO()
                snoop = BtSnoopWriter(world.captures[name])
            controller = VirtualController(
                name, link, legacy_commands=legacy_commands, command_latency_s=0.001
            )
            radio = BumbleRadio.from_controller(
                controller, config=BumbleRadioConfig(commands=commands), snoop=snoop
            )
        store = open_inline_store(tmp_path / name)
        world.stores[name] = store
        world.rotations[name] = []
        world.scans[name] = []
        world.nodes[name] = Node(
            NodeConfig(
                name=name,
                calibration=CALIBRATION,
                duty_cycle=duty_cycle or DutyCycle.always(60.0),
                status_interval_s=None,
            ),
            radio=radio,
            store=store,
            key_source=key_source,
            random_bytes=random.Random(f"{seed}:{name}").randbytes,
            on_rotation=world.rotations[name].append,
            on_scan=world.scans[name].append,
        )
    world.sent = medium.transmissions if medium is not None else link.advertisements_sent
    if start:
        for node in world.nodes.values():
            await node.start()
    return world
