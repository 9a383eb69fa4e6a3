"""The kill test: SIGKILL a writer at random moments; nothing committed is lost or torn.

A subprocess writes batches of sightings in a loop and acknowledges each one after
``insert_sightings`` returned. It is killed with SIGKILL at a seeded random moment,
several rounds on the same store, and after each round the store must reopen with a
sound file holding every acknowledged batch in full and no batch in part.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bluezone.reference_node.store import STORE_FILENAME, Store
from tests.reference_node.store.crash_writer import RPI, batch_size

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 8
SEEDS = (1,)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]


def run_and_kill(data: Path, round_: int, seed: int, delay_s: float) -> list[tuple[int, int]]:
    """Start a writer, SIGKILL it ``delay_s`` after its first ack; return its acks.

    Waiting for the first ack, not a fixed time, makes every round commit something even
    on a stalled disk; the random delay then lands the kill anywhere in the stream.
    """
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reference_node.store.crash_writer",
            str(data),
            str(round_),
            str(seed),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    lines = [writer.stdout.readline()]
    assert lines[0].endswith("\n"), "the writer stopped before its first batch"
    # Drain stdout all along, so the writer never blocks on a full pipe instead of writing.
    reader = threading.Thread(target=lambda: lines.extend(writer.stdout))  # type: ignore[arg-type]
    reader.start()
    time.sleep(delay_s)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    reader.join()
    assert writer.returncode == -signal.SIGKILL
    acks = []
    for line in lines:
        if line.endswith("\n"):  # a line cut by the kill acknowledges nothing
            _, r, batch, size = line.split()
            assert int(r) == round_ and int(size) == batch_size(seed, round_, int(batch))
            acks.append((round_, int(batch)))
    return acks


def stored_batches(store: Store) -> dict[tuple[int, int], set[int]]:
    """Return the indices present per (round, batch), checking each row's encoding."""
    found: dict[tuple[int, int], set[int]] = collections.defaultdict(set)
    for sighting in store.sightings():
        round_, batch, index, size, zero = RPI.unpack(sighting.rpi)
        assert zero == 0 and 0 <= index < size
        assert index not in found[round_, batch], "a sighting was stored twice"
        found[round_, batch].add(index)
    return found


@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_loses_nothing_committed_and_leaves_no_partial_batch(tmp_path: Path, seed: int):
    data = tmp_path / "data"
    moments = random.Random(seed)
    acked: set[tuple[int, int]] = set()
    for round_ in range(ROUNDS):
        acked.update(run_and_kill(data, round_, seed, moments.uniform(0.02, 0.5)))
        wal = data / f"{STORE_FILENAME}-wal"
        assert wal.exists() and wal.stat().st_size > 0, "the kill left no log to recover"
        with Store.open(data) as store:
            assert store.integrity_check() == ["ok"]
            found = stored_batches(store)
        assert acked <= set(found), "an acknowledged batch is missing"
        for (r, batch), indices in found.items():
            assert indices == set(range(batch_size(seed, r, batch))), "a batch is partial"
        for r in range(round_ + 1):
            batches = sorted(b for (rr, b) in found if rr == r)
            assert batches == list(range(len(batches))), "batches committed out of order"
            unacked = [b for b in batches if (r, b) not in acked]
            assert unacked in ([], [batches[-1]]), "more than the in-flight batch unacknowledged"
        assert any(r == round_ for (r, _) in acked), "the writer never got a batch in"
