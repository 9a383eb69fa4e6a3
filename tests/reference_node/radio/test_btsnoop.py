"""The btsnoop writer and the snooping wrappers, read back by the tests' own reader."""

from __future__ import annotations

import io

from bluezone.reference_node.radio.btsnoop import (
    UNIX_EPOCH_US,
    BtSnoopWriter,
    SnoopingSink,
    SnoopingSource,
)
from tests.reference_node.radio.support import read_btsnoop

COMMAND = bytes.fromhex("01030c00")  # HCI_Reset
EVENT = bytes.fromhex("040e0401030c00")  # Command Complete for it
ACL = bytes.fromhex("020100040000000000")


class FixedClock:
    def __init__(self, wall: float) -> None:
        self.now = wall

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.packets: list[bytes] = []
        self.sink = None
        self.metadata = {"vendor_id": 1}

    def on_packet(self, packet: bytes) -> None:
        self.packets.append(packet)

    def set_packet_sink(self, sink) -> None:
        self.sink = sink


def test_header_and_records_read_back():
    buffer = io.BytesIO()
    clock = FixedClock(1_600_000_000.25)
    writer = BtSnoopWriter(buffer, clock)
    writer.write(COMMAND, received=False)
    clock.now += 0.5
    writer.write(EVENT, received=True)
    writer.write(ACL, received=False)
    writer.close()
    assert buffer.getvalue()[:16] == b"btsnoop\x00" + bytes.fromhex("00000001000003ea")
    datalink, records = read_btsnoop(buffer.getvalue())
    assert datalink == 1002
    assert [r.packet for r in records] == [COMMAND, EVENT, ACL]
    assert [r.flags for r in records] == [0b10, 0b11, 0b00]
    assert [r.original_length for r in records] == [4, 7, 9]
    assert {r.drops for r in records} == {0}
    start = UNIX_EPOCH_US + 1_600_000_000_250_000
    assert [r.timestamp_us for r in records] == [start, start + 500_000, start + 500_000]
    assert writer.packets == 3


def test_unix_epoch_offset_matches_1970():
    # btsnoop's epoch, as Wireshark and BlueZ reckon it, is 719,540 days before 1970-01-01.
    assert UNIX_EPOCH_US == 719_540 * 86_400 * 1_000_000


def test_wrappers_record_both_directions_and_pass_packets_on():
    buffer = io.BytesIO()
    writer = BtSnoopWriter(buffer, FixedClock(0.0))
    controller_side, host = Recorder(), Recorder()
    source = SnoopingSource(controller_side, writer)
    sink = SnoopingSink(controller_side, writer)
    source.set_packet_sink(host)
    assert controller_side.sink is source
    assert source.metadata == {"vendor_id": 1}  # attributes of the wrapped source show
    sink.on_packet(COMMAND)
    controller_side.sink.on_packet(EVENT)
    assert controller_side.packets == [COMMAND]
    assert host.packets == [EVENT]
    _, records = read_btsnoop(buffer.getvalue())
    assert [(r.packet, r.flags & 1) for r in records] == [(COMMAND, 0), (EVENT, 1)]


def test_open_writes_a_file(tmp_path):
    path = tmp_path / "capture.btsnoop"
    with BtSnoopWriter.open(path, FixedClock(1.0)) as writer:
        writer.write(COMMAND, received=False)
    datalink, records = read_btsnoop(path.read_bytes())
    assert datalink == 1002
    assert [r.packet for r in records] == [COMMAND]
