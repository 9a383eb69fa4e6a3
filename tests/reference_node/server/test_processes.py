"""Several processes, one service: three servers on one PostgreSQL, one publisher (OPS-4).

Three processes share a data directory and a database. Uploads go to all three; the process
holding the publisher lock is killed (SIGKILL) right after it commits a batch and before it
writes that batch's files; another takes the lock over, recovers the files and publishes on.
No acknowledged key may be lost or published twice, and the log must pass an audit. Every
wait is bounded; the processes are stopped at the end.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.server.errors import ClientError
from bluezone.reference_node.server.keyfiles import ServerKeys
from bluezone.reference_node.server.leadership import lock_key
from bluezone.reference_node.server.runner import publish_while_leading

from .conftest import fresh_postgres_database, past_keys
from .service_child import HA_API_KEY
from .timing import settled

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_S = 120.0


def _start(data: Path, dsn: str, marker: Path, log: Path) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "tests.reference_node.server.service_child"]
    process = subprocess.Popen(
        [*command, str(data), dsn, str(marker)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    line = process.stdout.readline()
    assert line.startswith("serving "), (line, log.read_text())
    return process, line.split()[-1]


async def _upload_until(urls, alive, done: asyncio.Event, acked: list) -> None:
    rng = random.Random(12)
    turn = 0
    while not done.is_set():
        turn += 1
        index = turn % len(urls)
        if not alive(index):
            continue
        keys = past_keys(rng, settled(time.time()), days=2)
        try:
            async with KeyServerClient(urls[index], timeout_s=10) as client:
                code = (await client.issue_code(HA_API_KEY)).code
                await client.report(code, keys)
        except (ClientError, TimeoutError):
            continue  # not acknowledged: the process died under it
        acked.extend(k.key_data for k in keys)
        await asyncio.sleep(0.01)


async def _published(url: str, trust: TrustConfig) -> collections.Counter[bytes]:
    async with KeyServerClient(url, timeout_s=30) as client:
        result = await client.download(trust, next_batch=0)
    return collections.Counter(k.key_data for k in result.diagnosis_keys())


def test_three_processes_one_publisher_and_a_takeover_after_kill_9(tmp_path, postgres_dsn):
    dsn = asyncio.run(fresh_postgres_database(postgres_dsn))
    data, armed = tmp_path / "shared", tmp_path / "armed"
    marker = armed / "died"
    logs = [tmp_path / f"server{i}.log" for i in range(3)]
    processes, urls = [], []
    try:
        for log in logs:  # one after the other: the first start creates the keys
            process, url = _start(data, dsn, marker, log)
            processes.append(process)
            urls.append(url)

        async def scenario():
            acked: list[bytes] = []
            done = asyncio.Event()
            uploads = asyncio.create_task(
                _upload_until(urls, lambda i: processes[i].poll() is None, done, acked)
            )
            loop = asyncio.get_running_loop()
            end = loop.time() + DEADLINE_S
            while len(acked) < 60:  # some keys out before anything dies
                assert loop.time() < end and not uploads.done()
                await asyncio.sleep(0.05)
            armed.mkdir()
            while all(p.poll() is None for p in processes):  # the publisher dies at commit
                assert loop.time() < end and not uploads.done()
                await asyncio.sleep(0.05)
            before = len(acked)
            while len(acked) < before + 60:  # the survivors keep taking uploads
                assert loop.time() < end and not uploads.done()
                await asyncio.sleep(0.05)
            done.set()
            await uploads
            survivor = next(u for u, p in zip(urls, processes, strict=True) if p.poll() is None)
            trust = TrustConfig.from_server_keys(
                ServerKeys.from_json((data / "public" / "v1" / "keys").read_bytes())
            )
            while True:  # every acknowledged key gets published, by the new publisher
                published = await _published(survivor, trust)
                if all(published[k] for k in acked):
                    return acked, published, trust
                assert loop.time() < end, "acknowledged keys were not published in time"
                await asyncio.sleep(0.5)

        acked, published, trust = asyncio.run(scenario())
        dead = [i for i, p in enumerate(processes) if p.poll() is not None]
        assert len(dead) == 1 and processes[dead[0]].returncode == -signal.SIGKILL
        assert marker.exists()
        assert len(acked) >= 120 and len(set(acked)) == len(acked)
        assert all(published[k] == 1 for k in acked)  # none lost, none published twice
        texts = [log.read_text() for log in logs]
        assert "holds the publisher lock" in texts[dead[0]]
        takers = [i for i in range(3) if i not in dead and "holds the publisher lock" in texts[i]]
        assert len(takers) == 1  # exactly one took over
        export = trust.export
        export_key = ":".join(
            (export.key_id, export.key_version, base64.b64encode(export.public_key_der).decode())
        )
        for i in range(3):
            if i in dead:
                continue
            state = tmp_path / f"audit{i}.json"
            argv = ["audit", "--server", urls[i], "--state", str(state)]
            argv += ["--log-key", trust.log.vkey, "--export-key", export_key]
            assert main(argv) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()


def test_the_lock_key_is_per_log():
    assert lock_key("a.test/log") != lock_key("b.test/log")
    assert -(2**63) <= lock_key("a.test/log") < 2**63


class FakeLeadership:
    """The lock as a script: granted on the given tries, lost after ``held_checks`` checks."""

    shared = True

    def __init__(self, grants: list[bool], held_checks: int) -> None:
        self.grants = grants
        self.held_checks = held_checks
        self.released = 0

    async def acquire(self) -> bool:
        return self.grants.pop(0) if self.grants else False

    async def held(self) -> bool:
        self.held_checks -= 1
        return self.held_checks >= 0

    async def release(self) -> None:
        self.released += 1


class FakePublisher:
    """Counts recoveries and publication runs; a run lasts until cancelled."""

    def __init__(self) -> None:
        self.recovered = 0
        self.runs = 0
        self.cancelled = 0

    async def recover(self) -> None:
        self.recovered += 1

    async def run(self, period_s: float) -> None:
        self.runs += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


def test_a_process_that_loses_the_lock_stops_publishing_and_tries_again():
    publisher = FakePublisher()
    leadership = FakeLeadership([False, True, False, True], held_checks=2)

    async def scenario():
        task = asyncio.create_task(
            publish_while_leading(publisher, leadership, period_s=60, retry_s=0.01)
        )
        loop = asyncio.get_running_loop()
        end = loop.time() + DEADLINE_S
        while publisher.runs < 2:  # taken, lost, taken again
            assert loop.time() < end
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    # Each time the lock is taken the files are recovered first; the lost run was stopped.
    assert publisher.recovered == 2 and publisher.runs == 2 and publisher.cancelled == 2
    assert leadership.released >= 1
