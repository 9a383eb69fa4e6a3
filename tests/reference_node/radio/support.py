"""Shared pieces of the radio tests: payloads, a btsnoop reader, radios on one medium."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import struct
from collections.abc import Iterable

from bluezone.reference_node.radio.address import make_nrpa
from bluezone.reference_node.radio.base import Sighting
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.bumble_radio import BumbleRadioConfig, CommandSet
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.radio.virtual import VirtualLink

# Flags, Complete List of 16-bit UUIDs (0xFD6F), Service Data header for 0xFD6F + 20 bytes.
AD_PREFIX = bytes.fromhex("02011a03036ffd17166ffd")
BACKENDS = ("bumble-legacy", "bumble-extended", "sim")


def payload(n: int) -> bytes:
    """A distinct 31-byte advertising payload for each ``n``."""
    return AD_PREFIX + hashlib.sha256(n.to_bytes(8, "big")).digest()[:20]


def fresh_addresses(rng: random.Random) -> Iterable[str]:
    """An endless supply of non-resolvable private addresses."""
    while True:
        yield make_nrpa(rng.randbytes(6))


@dataclasses.dataclass(frozen=True)
class SnoopRecord:
    """One btsnoop record, read back independently of the writer."""

    original_length: int
    flags: int
    drops: int
    timestamp_us: int
    packet: bytes


def read_btsnoop(data: bytes) -> tuple[int, list[SnoopRecord]]:
    """The datalink type and records of a btsnoop file (strict: raises on any defect)."""
    magic, version, datalink = struct.unpack_from(">8sII", data, 0)
    assert magic == b"btsnoop\x00"
    assert version == 1
    offset = 16
    records = []
    while offset < len(data):
        original, included, flags, drops, timestamp = struct.unpack_from(">IIIIq", data, offset)
        offset += 24
        packet = data[offset : offset + included]
        assert len(packet) == included
        offset += included
        records.append(SnoopRecord(original, flags, drops, timestamp, packet))
    return datalink, records


def commands(records: list[SnoopRecord], opcode: int) -> list[bytes]:
    """Parameters of every host-to-controller HCI command with ``opcode``, in order."""
    found = []
    for record in records:
        packet = record.packet
        if record.flags & 1 == 0 and packet[0] == 0x01:
            op, length = struct.unpack_from("<HB", packet, 1)
            if op == opcode:
                assert len(packet) == 4 + length
                found.append(packet[4:])
    return found


class Bench:
    """Radios of one backend on one medium, with a count of advertisements each sent."""

    def __init__(self, backend: str, radios: dict, sent) -> None:
        self.backend = backend
        self.radios = radios
        self._sent = sent

    def sent(self, node: str) -> int:
        """Advertising events ``node`` has put on air so far."""
        return self._sent[node]

    @classmethod
    async def create(
        cls,
        backend: str,
        placements: dict[str, Placement],
        *,
        model: PathLossModel | None = None,
        seed: int = 1,
        snoop: dict[str, BtSnoopWriter] | None = None,
        command_latency_s: float = 0.002,
    ) -> Bench:
        """Started radios for every placed node, on ``backend`` (one of BACKENDS)."""
        channel = Channel(model or PathLossModel(), random.Random(seed))
        for node, placement in placements.items():
            channel.place(node, placement)
        radios = {}
        if backend == "sim":
            medium = SimMedium(channel)
            for node in placements:
                radios[node] = medium.radio(node)
            sent = medium.transmissions
        else:
            link = VirtualLink(channel)
            config = BumbleRadioConfig(commands=CommandSet(backend.removeprefix("bumble-")))
            for node in placements:
                radios[node] = link.radio(
                    node,
                    config=config,
                    snoop=(snoop or {}).get(node),
                    command_latency_s=command_latency_s,
                )
            sent = link.advertisements_sent
        for radio in radios.values():
            await radio.start()
        return cls(backend, radios, sent)

    async def close(self) -> None:
        """Close every radio."""
        for radio in self.radios.values():
            await radio.close()


def drain(stream) -> list[Sighting]:
    """Every sighting queued on ``stream`` now."""
    found = []
    while (sighting := stream.get_nowait()) is not None:
        found.append(sighting)
    return found
