"""Write sightings in a loop until killed, acknowledging each committed batch on stdout.

    python -m tests.reference_node.store.crash_writer DATA_DIR ROUND SEED

Used by test_crash.py. Batch sizes come from (SEED, ROUND), so the test knows how big
every batch was meant to be. Each RPI encodes (round, batch, index, size). A line
``ack ROUND BATCH SIZE`` is printed only after ``insert_sightings`` returned.
"""

from __future__ import annotations

import random
import struct
import sys

from bluezone.reference_node.store import SightingRecord, Store

RPI = struct.Struct(">HIIIH")  # round, batch, index, batch size, zero: 16 bytes
INTERVAL = 2_940_624
SIZES = (1, 7, 50, 100, 100, 250, 1000)


def batch_size(seed: int, round_: int, batch: int) -> int:
    """Return how many sightings batch ``batch`` of round ``round_`` holds."""
    return random.Random(f"{seed}/{round_}/{batch}").choice(SIZES)


def batch_records(round_: int, batch: int, size: int) -> list[SightingRecord]:
    """Return the sightings of one batch."""
    return [
        SightingRecord(
            rpi=RPI.pack(round_, batch, index, size, 0),
            aem=b"\x40\x08\x00\x00",
            interval=INTERVAL,
            monotonic_time=float(batch),
            wall_time=INTERVAL * 600.0 + batch,
            rssi=-70,
            address="C0:11:22:33:44:55",
            address_type="random",
            backend="crash-test",
        )
        for index in range(size)
    ]


def main(data_dir: str, round_: int, seed: int) -> None:
    store = Store.open(data_dir)
    print("ready", flush=True)
    batch = 0
    while True:
        size = batch_size(seed, round_, batch)
        store.insert_sightings(batch_records(round_, batch, size))
        print(f"ack {round_} {batch} {size}", flush=True)
        batch += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
