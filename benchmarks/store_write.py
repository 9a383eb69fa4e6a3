"""Benchmark the store's sighting writes: durable batches through the async facade.

    python benchmarks/store_write.py --batch 100 --sightings 50000

Writes ``--sightings`` sightings in batches of ``--batch`` into a fresh store in a
temporary directory, each batch one transaction committed with synchronous=FULL (what
the node does), through ``Store`` and through ``AsyncStore`` from an event loop.
Baselines in the same run: the same rows through bare sqlite3 with synchronous=OFF (no
durability: the floor), and one FULL commit per sighting (no batching). The last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bluezone.reference_node.store import AsyncStore, SightingRecord, Store
from bluezone.reference_node.store.schema import migrate

INTERVAL = 2_940_624


def make_batches(count: int, size: int, rng: random.Random) -> list[list[SightingRecord]]:
    """Sightings as a scanner delivers them, grouped into batches of ``size``."""
    records = [
        SightingRecord(
            rpi=rng.randbytes(16),
            aem=rng.randbytes(4),
            interval=INTERVAL + i // 5000,
            monotonic_time=i * 0.01,
            wall_time=INTERVAL * 600.0 + i * 0.01,
            rssi=rng.randint(-100, -30),
            address=f"C0:{rng.randrange(256):02X}:{rng.randrange(256):02X}:00:00:01",
            address_type="random",
            backend="bumble",
        )
        for i in range(count)
    ]
    return [records[i : i + size] for i in range(0, count, size)]


def timed(write) -> float:
    start = time.perf_counter()
    write()
    return time.perf_counter() - start


def store_sync(data: str, batches: list[list[SightingRecord]]) -> float:
    with Store.open(data) as store:
        return timed(lambda: [store.insert_sightings(b) for b in batches])


def store_async(data: str, batches: list[list[SightingRecord]]) -> float:
    async def run() -> float:
        async with await AsyncStore.open(data) as store:
            start = time.perf_counter()
            for batch in batches:
                await store.insert_sightings(batch)
            return time.perf_counter() - start

    return asyncio.run(run())


def bare_sqlite(data: str, batches: list[list[SightingRecord]], synchronous: str) -> float:
    connection = sqlite3.connect(Path(data) / "bare.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    connection.execute("BEGIN")
    migrate(connection)
    connection.execute("COMMIT")
    insert = (
        "INSERT INTO sightings (rpi, aem, interval, monotonic_time, wall_time, rssi, address,"
        " address_type, backend) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def write() -> None:
        for batch in batches:
            connection.execute("BEGIN")
            connection.executemany(insert, [r.as_row() for r in batch])
            connection.execute("COMMIT")

    elapsed = timed(write)
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sightings", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    batches = make_batches(args.sightings, args.batch, rng)
    singles = make_batches(min(args.sightings, 2000), 1, rng)
    results = {}
    runs = {
        "store_full": lambda d: store_sync(d, batches),
        "async_store_full": lambda d: store_async(d, batches),
        "baseline_bare_sqlite_off": lambda d: bare_sqlite(d, batches, "OFF"),
    }
    for name, run in runs.items():
        with tempfile.TemporaryDirectory() as data:
            results[name] = args.sightings / run(data)
    with tempfile.TemporaryDirectory() as data:
        results["baseline_one_commit_per_sighting_full"] = len(singles) / store_sync(data, singles)
    print(f"{args.sightings} sightings, batches of {args.batch}, synchronous=FULL unless noted")
    for name, rate in results.items():
        print(f"  {name:40s} {rate:12,.0f} sightings/s")
    print(json.dumps({"sightings": args.sightings, "batch": args.batch, "per_second": results}))


if __name__ == "__main__":
    main()
