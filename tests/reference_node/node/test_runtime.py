"""The node runtime on the sim medium under virtual time: rotation, keys, scans, retention.

A simulated day takes a few seconds here; the bumble link is exercised in test_e2e.py.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.protocol.schedule import advertising_payload
from bluezone.reference_node.errors import HciCommandError, NodeStateError, RadioStateError
from bluezone.reference_node.node.runtime import Node, NodeConfig
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.address import is_nrpa
from bluezone.reference_node.radio.base import RadioCapabilities
from bluezone.reference_node.radio.channel import Position
from bluezone.reference_node.store import SightingRecord
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.node.support import CALIBRATION, MIDNIGHT, START, make_world

DAY_S = 86_400
PAIR = {"alice": Position(0, 0), "bob": Position(1.5, 0)}


def run(coroutine, wall_start: float = START):
    return vclock.run(coroutine, wall_start=wall_start)


def test_a_simulated_day_rotates_at_every_boundary_with_a_fresh_delay(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", duty_cycle=DutyCycle())
        await asyncio.sleep(DAY_S)
        keys = await world.stores["alice"].own_keys()
        await world.close()
        return world, keys

    world, keys = run(main())
    rotations = world.rotations["alice"]
    assert rotations[0].wall_time == START  # the first identifier goes on air at start
    assert len(rotations) == 144  # 10:00 plus 143 boundaries before 10:00 the next day
    delays = []
    for before, after in itertools.pairwise(rotations):
        assert after.interval == before.interval + 1
        delay = after.wall_time - after.interval * params.INTERVAL_SECONDS
        assert 0 <= delay < params.ROTATION_JITTER_MAX_S  # spec ADV-3
        delays.append(delay)
        assert after.address != before.address and after.ad != before.ad
    assert len(set(delays)) == len(delays)  # drawn afresh for every boundary
    addresses = [r.address for r in rotations]
    assert len(set(addresses)) == len(addresses) and all(map(is_nrpa, addresses))
    # spec KS-3: the key started at 10:00 ends at midnight; a new one starts there.
    assert [(k.key.rolling_start, k.key.rolling_period) for k in keys] == [
        (interval_number(START), 144 - 60),
        (interval_number(MIDNIGHT + DAY_S), 144),
    ]
    by_start = {k.key.rolling_start: k.key for k in keys}
    for rotation in rotations:
        key = by_start[rotation.key_rolling_start]
        assert key.rolling_start <= rotation.interval < key.end_interval
        expected = advertising_payload(key.key_data, rotation.interval, CALIBRATION.metadata())
        assert rotation.ad == expected.ad and rotation.rpi == expected.rpi
    assert world.nodes["alice"].scans > 400  # 4 s every 2-5 min (ADV-13)


def test_each_scan_is_stored_with_its_sightings(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", duty_cycle=DutyCycle.always(10))
        await asyncio.sleep(95)  # the stop interrupts the tenth scan: it is stored too
        await world.stop()
        store = world.stores["bob"]
        found = (await store.scans(), await store.sightings(), world.nodes["bob"])
        await world.close()
        return found

    scans, sightings, bob = run(main())
    assert len(scans) == bob.scans == 10
    assert sum(s.sightings for s in scans) == len(sightings) == bob.sightings > 0
    assert all(s.address is None for s in sightings)  # spec ADV-14
    starts = [s.start_wall_time for s in scans]
    assert starts == [START + 10 * n for n in range(10)]
    for sighting in sightings:
        assert any(s.start_wall_time <= sighting.wall_time <= s.end_wall_time for s in scans)


def test_bob_hears_what_alice_advertises(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", duty_cycle=DutyCycle.always(60))
        await asyncio.sleep(1300)
        sightings = await world.stores["bob"].sightings()
        await world.close()
        return world, sightings

    world, sightings = run(main())
    sent = {r.rpi for r in world.rotations["alice"]}
    assert {s.rpi for s in sightings} == sent  # three identifiers, all heard
    assert world.nodes["bob"].status().peers_last_scan == 1


def test_a_report_rekeys_at_once(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", duty_cycle=DutyCycle())
        await asyncio.sleep(1890)  # 10:31:30, after the 10:30 boundary's change
        alice = world.nodes["alice"]
        before = alice.on_air
        report = await alice.report()
        after = alice.on_air
        due_now = await alice.identity.keys_due_for_upload(vclock.current_clock().wall())
        await asyncio.sleep(2 * 3600 + 600)  # the cut key ended at 10:40; embargo to 12:40
        due_later = await alice.identity.keys_due_for_upload(vclock.current_clock().wall())
        keys = await world.stores["alice"].own_keys()
        await world.close()
        return before, after, report, due_now, due_later, keys

    before, after, report, due_now, due_later, keys = run(main())
    now_interval = interval_number(START + 1890)
    # spec KS-13: a new key at the current interval, on air before report() returned.
    assert after.wall_time == START + 1890 and after.interval == before.interval
    assert after.key_rolling_start == now_interval != before.key_rolling_start
    assert after.address != before.address and after.rpi != before.rpi
    (reported,) = report.keys
    assert reported.key.key.rolling_start == before.key_rolling_start
    assert reported.key.key.end_interval == now_interval + 1  # cut at the current interval
    assert due_now == [] and len(due_later) == 1  # spec KS-12: only after the embargo
    assert len(keys) == 2


def test_retention_prunes_at_start_and_after_midnight(tmp_path: Path):
    start = MIDNIGHT + DAY_S - 3600  # 23:00
    now_interval = interval_number(start)
    cutoff = now_interval - params.RETENTION_INTERVALS

    def old(interval: int, n: int) -> SightingRecord:
        return SightingRecord(
            n.to_bytes(16, "big"), None, interval, 0.0, interval * 600.0, -60, None, None, "sim"
        )

    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", start=False)
        store = world.stores["alice"]
        await store.insert_sightings(
            [old(cutoff - 1, 1), old(cutoff + 5, 2), old(cutoff + 6, 3), old(cutoff + 20, 4)]
        )
        for node in world.nodes.values():
            await node.start()
        await asyncio.sleep(1)
        at_start = [s.rpi[-1] for s in await store.sightings(end_interval=cutoff + 21)]
        await asyncio.sleep(3600 + 120)  # past midnight and the prune after it
        after_midnight = [s.rpi[-1] for s in await store.sightings(end_interval=cutoff + 21)]
        await world.close()
        return at_start, after_midnight

    at_start, after_midnight = run(main(), wall_start=start)
    assert at_start == [2, 3, 4]  # spec MATCH-6: older than 14 days at start
    # midnight + 60 s is interval now + 6: what is older than cutoff + 6 goes
    assert after_midnight == [3, 4]


def test_a_scan_only_radio_never_advertises(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", start=False)
        world.nodes["alice"].radio.capabilities = RadioCapabilities(False, False, True, True)
        for node in world.nodes.values():
            await node.start()
        await asyncio.sleep(1200)
        await world.close()
        return world

    world = run(main())
    assert world.sent["alice"] == 0 and world.sent["bob"] > 0
    assert all(not r.advertised for r in world.rotations["alice"])
    assert world.nodes["alice"].sightings > 0


def test_a_failing_radio_stops_the_node_and_wait_raises(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim")
        alice = world.nodes["alice"]

        async def broken(ad: bytes, address: str) -> None:
            raise HciCommandError("HCI_LE_Set_Advertising_Data", 0x0C, "disallowed")

        alice.radio.set_advertisement = broken
        with pytest.raises(HciCommandError):
            await asyncio.wait_for(alice.wait(), 700)
        assert not alice.running
        with pytest.raises(RadioStateError):  # the node closed its radio on the way out
            await alice.radio.start_scanning()
        await world.close()

    run(main())


def test_a_node_starts_once_and_checks_only_with_a_key_source(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim")
        alice = world.nodes["alice"]
        with pytest.raises(NodeStateError):
            await alice.start()
        with pytest.raises(NodeStateError):
            await alice.check_exposures()
        await world.close()
        await world.close()  # stopping twice is harmless

    run(main())


def test_the_status_line_and_logs_carry_no_key_material(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG, logger="bluezone")

    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim", duty_cycle=DutyCycle.always(30))
        await asyncio.sleep(1300)
        status = world.nodes["bob"].status()
        keys = await world.stores["alice"].own_keys()
        await world.close()
        return world, status, keys

    world, status, keys = run(main())
    assert status.rotations == 3 and status.scans == 43
    assert status.sightings_per_minute > 100 and status.peers_last_scan == 1
    assert "rotations" in status.line() and status.to_json()["scans"] == 43
    secrets = [k.key.key_data.hex() for k in keys]
    secrets += [r.rpi.hex() for r in world.rotations["alice"]]
    secrets += [r.address for r in world.rotations["alice"]]
    texts = [record.getMessage() + repr(getattr(record, "fields", "")) for record in caplog.records]
    assert any("rotation" in text for text in texts)
    for secret in secrets:
        assert not any(secret.lower() in text.lower() for text in texts)


def test_the_default_calibration_is_the_tables_global_fallback():
    from bluezone.reference_node.risk_profiles import calibration_table

    fallback = calibration_table().lookup("no such model")
    config = NodeConfig()
    assert config.calibration.tx_power_dbm == fallback.tx_power
    assert config.calibration.rssi_correction_db == fallback.rssi_correction
    assert config.calibration.confidence == fallback.confidence


def test_node_wait_returns_after_request_stop(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, PAIR, backend="sim")
        alice: Node = world.nodes["alice"]
        asyncio.get_running_loop().call_later(30, alice.request_stop)
        await alice.wait()
        stopped = not alice.running
        await world.close()
        return stopped

    assert run(main())
