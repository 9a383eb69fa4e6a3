"""A node process stops cleanly on SIGTERM and SIGINT: exit status 0, store consistent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bluezone.reference_node.store import Store

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX"),
]


def start_node(data: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "bluezone.reference_node.cli", "node", "run", "--radio", "sim"]
    command += ["--data", str(data), "--scan", "continuous:1", "--status-every", "0.25"]
    command += ["--json-logs"]
    return subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )


def events_until(process: subprocess.Popen, wanted: str, limit_s: float = 30) -> list[dict]:
    """Read JSON log lines until an event named ``wanted``; fail after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    seen = []
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        event = json.loads(line)
        seen.append(event)
        if event["event"] == wanted:
            return seen
    raise AssertionError(f"no {wanted!r} event; saw {[e['event'] for e in seen]}")


def scans_stored(process: subprocess.Popen, count: int, limit_s: float = 30) -> None:
    """Read status events until one reports at least ``count`` stored scans."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if events_until(process, "status", limit_s)[-1]["scans"] >= count:
            return
    raise AssertionError(f"fewer than {count} scans stored after {limit_s} s")


@pytest.mark.parametrize(
    "signal_number", [signal.SIGTERM, signal.SIGINT], ids=lambda s: signal.Signals(s).name
)
def test_a_signalled_node_exits_0_with_a_consistent_store(tmp_path: Path, signal_number):
    process = start_node(tmp_path / "data")
    try:
        events_until(process, "node_started")
        scans_stored(process, 2)
        process.send_signal(signal_number)
        stopped = events_until(process, "node_stopped")[-1]
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with Store.open(tmp_path / "data") as store:
        assert store.integrity_check() == ["ok"]
        scans = store.scans()
        assert len(scans) == stopped["scans"] >= 2
        assert sum(s.sightings for s in scans) == store.count_sightings() == stopped["sightings"]
        assert store.count_sightings() > 0
        assert len(store.own_keys()) == 1
