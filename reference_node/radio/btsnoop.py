"""btsnoop capture of one node's HCI traffic, in the format Wireshark and btmon open.

The file (RFC 1761 "snoop" layout as adapted by BlueZ) is a 16-byte header, ``btsnoop\\0``,
version 1 and datalink 1002 (HCI UART, H4: each packet starts with its H4 type octet),
then one record per packet: original length, included length, flags, cumulative drops
(four big-endian uint32) and a big-endian int64 timestamp in microseconds since midnight
1 January 0 AD, followed by the packet. Flags bit 0 is the direction (0 host to
controller, 1 controller to host), bit 1 is set for commands and events.

`SnoopingSource` and `SnoopingSink` wrap a bumble transport's source and sink (or a virtual
controller, which is both) so every packet crossing them is recorded. Timestamps come from
a `Clock`, so a capture made under virtual time carries the simulated times.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO, Self

from bluezone.reference_node.vtime.clock import Clock, current_clock

BTSNOOP_MAGIC = b"btsnoop\x00"
BTSNOOP_VERSION = 1
DATALINK_H4 = 1002
# Microseconds from 0 AD (btsnoop's epoch) to 1970-01-01, as Wireshark's reader uses.
UNIX_EPOCH_US = 0x00DCDDB30F2F8000
FLAG_RECEIVED = 0x01
FLAG_COMMAND_OR_EVENT = 0x02
# H4 packet type octets (Core Spec Vol 4 Part A 2).
H4_COMMAND = 0x01
H4_EVENT = 0x04

_HEADER = struct.Struct(">8sII")
_RECORD = struct.Struct(">IIIIq")


class BtSnoopWriter:
    """Writes HCI packets (H4-framed bytes, as bumble passes them) to a btsnoop file.

    The caller owns the file unless the writer was made with `open`. ``clock`` defaults
    to the running event loop's clock at each write.
    """

    def __init__(self, file: BinaryIO, clock: Clock | None = None, *, owns_file: bool = False):
        self._file = file
        self._clock = clock
        self._owns_file = owns_file
        self.packets = 0
        file.write(_HEADER.pack(BTSNOOP_MAGIC, BTSNOOP_VERSION, DATALINK_H4))

    @classmethod
    def open(cls, path: str | Path, clock: Clock | None = None) -> Self:
        """A writer to a new file at ``path`` (closed by `close`)."""
        return cls(open(path, "wb"), clock, owns_file=True)

    def write(self, packet: bytes, *, received: bool) -> None:
        """Record ``packet``; ``received`` is True for controller-to-host packets."""
        flags = FLAG_RECEIVED if received else 0
        if packet and packet[0] in (H4_COMMAND, H4_EVENT):
            flags |= FLAG_COMMAND_OR_EVENT
        clock = self._clock or current_clock()
        timestamp = UNIX_EPOCH_US + round(clock.wall() * 1_000_000)
        self._file.write(_RECORD.pack(len(packet), len(packet), flags, 0, timestamp))
        self._file.write(packet)
        self.packets += 1

    def flush(self) -> None:
        """Push buffered records to the file."""
        self._file.flush()

    def close(self) -> None:
        """Flush, and close the file if the writer opened it."""
        self._file.flush()
        if self._owns_file:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SnoopingSource:
    """A transport source that records every controller-to-host packet it passes on."""

    def __init__(self, source: Any, writer: BtSnoopWriter) -> None:
        self._source = source
        self._writer = writer
        self._sink: Any = None

    def set_packet_sink(self, sink: Any) -> None:
        self._sink = sink
        self._source.set_packet_sink(self if sink is not None else None)

    def on_packet(self, packet: bytes) -> None:
        self._writer.write(packet, received=True)
        if self._sink is not None:
            self._sink.on_packet(packet)

    def on_transport_lost(self) -> None:
        if self._sink is not None and hasattr(self._sink, "on_transport_lost"):
            self._sink.on_transport_lost()

    def __getattr__(self, name: str) -> Any:
        # metadata, terminated, close, ... of the wrapped source
        return getattr(self._source, name)


class SnoopingSink:
    """A transport sink that records every host-to-controller packet it passes on."""

    def __init__(self, sink: Any, writer: BtSnoopWriter) -> None:
        self._sink = sink
        self._writer = writer

    def on_packet(self, packet: bytes) -> None:
        self._writer.write(packet, received=False)
        self._sink.on_packet(packet)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sink, name)
