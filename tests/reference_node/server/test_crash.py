"""Crash safety: kill -9 during publication leaves log and files agreeing (spec SRV-10).

A child process uploads and publishes in a loop and is killed, either by itself at a named
step of publication or by the test at a seeded random moment. After each kill the server
restarts on the same data directory; then every published file must equal what the
database holds, the signed checkpoint must match the leaves recomputed from the files, and
every upload the child acknowledged must be pending or published, and published after the
next publication. The daily counts (PORTAL-11) must agree with the rows they count: a kill
neither loses nor doubles a count.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import MerkleTree
from bluezone.reference_node.server.files import (
    CHECKPOINT_PATH,
    INDEX_PATH,
    batch_path,
    checkpoint_path,
)
from bluezone.reference_node.server.index import BatchIndex
from bluezone.reference_node.server.runner import DATABASE_FILE, prepare

from .conftest import FAR_FUTURE
from .crash_child import config

ROOT = Path(__file__).resolve().parents[3]
STEPS = ["built", "committed", "batch_file", "checkpoint_file", "index_file"]


def _child(data_dir: Path, seed: int, step: str | None, kill_after_s: float | None) -> list[str]:
    """Run the child until it dies by SIGKILL; return the keys it acknowledged (hex)."""
    command = [
        sys.executable,
        "-m",
        "tests.reference_node.server.crash_child",
        str(data_dir),
        str(seed),
        *([step] if step else []),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            if line.startswith("READY"):
                ready.set()
            lines.append(line)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        if kill_after_s is not None:
            assert ready.wait(60), process.stderr.read()
            time.sleep(kill_after_s)
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        reader.join()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    return [key for line in lines if line.startswith("ACK ") for key in line[4:].strip().split(",")]


async def _check(data_dir: Path, acked: set[str]) -> int:
    """Restart on ``data_dir`` and check files, log and acknowledged keys; return the size."""
    server, storage = await prepare(config(data_dir))
    try:
        files = server.files
        batches = await storage.batches()
        leaves = MerkleTree()
        published: set[str] = set()
        for batch in batches:
            archive = files.read(batch_path(batch.number))
            assert archive == await storage.batch_archive(batch.number)
            export = ExportFile.from_zip(archive)
            export.verify(server.keys.export)
            leaves.append(BatchLeaf.for_export(batch.number, export.export_bin).leaf_hash())
            published |= {k.key_data.hex() for k in export.payload.keys}
        for record in await storage.checkpoints():
            assert files.read(checkpoint_path(record.tree_size)) == record.note
        if batches:
            latest = verify_checkpoint(files.read(CHECKPOINT_PATH), server.keys.log).checkpoint
            assert latest.tree_size == len(batches)
            assert latest.root_hash == leaves.root()
            assert BatchIndex.from_bytes(files.read(INDEX_PATH)).tree_size == len(batches)
        assert files.numbered("v1/batches", ".zip") == list(range(len(batches)))
        assert not list(files.root.rglob("*.tmp"))
        pending = {p.key.key_data.hex() for p in await storage.pending_keys(10**7, FAR_FUTURE)}
        assert acked <= pending | published, "an acknowledged key was lost"
        await server.publisher.publish_pending()
        for batch in await storage.batches(len(batches)):
            export = ExportFile.from_zip(files.read(batch_path(batch.number)))
            published |= {k.key_data.hex() for k in export.payload.keys}
        assert acked <= published
        counted = await _summed_counts(storage)
        assert counted == _rows_counted(data_dir / DATABASE_FILE), "a count was lost or doubled"
        return len(await storage.batches())
    finally:
        await storage.close()


async def _summed_counts(storage) -> dict[str, int]:
    """Each daily count summed over every day (PORTAL-11)."""
    totals: dict[str, int] = {}
    for day in (await storage.daily_counts(0, 10**7)).values():
        for name, count in day.items():
            totals[name] = totals.get(name, 0) + count
    return {name: count for name, count in totals.items() if count}


def _rows_counted(database: Path) -> dict[str, int]:
    """What the daily counts count, counted from the rows (the child never prunes)."""
    queries = {
        "codes_issued": "SELECT count(*) FROM codes",
        "codes_used": "SELECT count(*) FROM codes WHERE used",
        "uploads": "SELECT count(*) FROM tokens WHERE used",
        "keys_uploaded": "SELECT count(*) FROM keys",
        "batches": "SELECT count(*) FROM batches",
        "keys_published": "SELECT count(*) FROM keys WHERE batch IS NOT NULL",
    }
    conn = sqlite3.connect(database)
    try:
        counts = {name: conn.execute(query).fetchone()[0] for name, query in queries.items()}
    finally:
        conn.close()
    return {name: count for name, count in counts.items() if count}


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_kill_at_each_publication_step(tmp_path, step):
    acked = set(_child(tmp_path, 1, step, None))
    assert len(acked) >= 5 * 13  # five uploads of 13 keys (crash_child)
    size = asyncio.run(_check(tmp_path, acked))
    assert size >= (0 if step == "built" else 1)


@pytest.mark.slow
def test_kill_at_random_moments(tmp_path):
    rng = random.Random(20260)
    acked: set[str] = set()
    for round_number in range(6):
        acked |= set(_child(tmp_path, 100 + round_number, None, rng.uniform(0.2, 2.0)))
        asyncio.run(_check(tmp_path, acked))
    assert acked
