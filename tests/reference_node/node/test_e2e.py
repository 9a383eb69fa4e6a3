"""The whole stack: real nodes on bumble virtual controllers, under virtual time.

What goes over HCI is read back from btsnoop captures and from the scanner's own reports,
and compared with what the codec and the key schedule say it must be (spec ADV-1..ADV-3,
ADV-13), with what the channel model predicts (RSSI), and with the scenario (who sat near
whom, for how long: the exposure windows).
"""

from __future__ import annotations

import asyncio
import collections
import math
import statistics
import struct
from pathlib import Path

import pytest
from bumble import hci

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.schedule import advertising_payload
from bluezone.reference_node.node.key_source import DirectoryKeySource, TrustedKey
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.address import format_address, is_nrpa
from bluezone.reference_node.radio.bumble_radio import CommandSet
from bluezone.reference_node.radio.channel import Position
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.exports import public_pem, signing_key, write_export
from tests.reference_node.node.support import CALIBRATION, START, make_world
from tests.reference_node.radio.support import commands, read_btsnoop

pytestmark = pytest.mark.e2e

PAIR = {"alice": Position(0, 0), "bob": Position(1.5, 0)}
TRIO = {"alice": Position(0, 0), "bob": Position(1.5, 0), "carol": Position(0, 8)}

# (set address, set data, enable) op codes per command set, and where the data sits.
LEGACY = (
    hci.HCI_LE_SET_RANDOM_ADDRESS_COMMAND,
    hci.HCI_LE_SET_ADVERTISING_DATA_COMMAND,
    hci.HCI_LE_SET_ADVERTISING_ENABLE_COMMAND,
)
EXTENDED = (
    hci.HCI_LE_SET_ADVERTISING_SET_RANDOM_ADDRESS_COMMAND,
    hci.HCI_LE_SET_EXTENDED_ADVERTISING_DATA_COMMAND,
    hci.HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE_COMMAND,
)


def run(coroutine):
    return vclock.run(coroutine, wall_start=START)


def advertising_data(opcode: int, parameters: bytes) -> bytes:
    """The AD bytes of an LE Set (Extended) Advertising Data command (Core Vol 4 Part E 7.8)."""
    if opcode == hci.HCI_LE_SET_ADVERTISING_DATA_COMMAND:
        return parameters[1 : 1 + parameters[0]]
    return parameters[4 : 4 + parameters[3]]  # handle, operation, fragment pref., length


def random_address(opcode: int, parameters: bytes) -> str:
    """The address (most significant octet first) of a Set (Set) Random Address command."""
    raw = parameters[-6:]
    return format_address(bytes(reversed(raw)))


def hci_sequence(records, ops: tuple[int, int, int]) -> list[tuple[str, bytes]]:
    """The advertising commands in order: ("address", a), ("data", ad), ("enable", flag)."""
    address_op, data_op, enable_op = ops
    found = []
    for record in records:
        packet = record.packet
        if record.flags & 1 or packet[0] != 0x01:
            continue
        opcode, length = struct.unpack_from("<HB", packet, 1)
        parameters = packet[4 : 4 + length]
        if opcode == address_op:
            found.append(("address", random_address(opcode, parameters)))
        elif opcode == data_op:
            found.append(("data", advertising_data(opcode, parameters)))
        elif opcode == enable_op:
            found.append(("enable", parameters[0]))
    return found


@pytest.mark.parametrize("command_set", ["legacy", "extended"])
def test_every_advertising_data_command_is_the_codec_bytes(tmp_path: Path, command_set: str):
    extended = command_set == "extended"

    async def main():
        world = await make_world(
            tmp_path,
            PAIR,
            duty_cycle=DutyCycle(),
            capture=("alice",),
            commands=CommandSet.EXTENDED if extended else CommandSet.AUTO,
            legacy_commands=not extended,
        )
        await asyncio.sleep(35 * 60)
        keys = await world.stores["alice"].own_keys()
        await world.close()
        return world, keys

    world, keys = run(main())
    rotations = world.rotations["alice"]
    assert len(rotations) == 4
    _, records = read_btsnoop(world.captures["alice"].getvalue())
    sequence = hci_sequence(records, EXTENDED if extended else LEGACY)
    data = [value for kind, value in sequence if kind == "data"]
    addresses = [value for kind, value in sequence if kind == "address"]
    assert data == [r.ad for r in rotations]
    assert addresses == [r.address for r in rotations]
    # Every command's bytes are what the codec makes of the key schedule's identifier.
    (key,) = [k.key for k in keys]
    for rotation, ad in zip(rotations, data, strict=True):
        expected = advertising_payload(key.key_data, rotation.interval, CALIBRATION.metadata())
        assert ad == expected.ad and len(ad) == params.AD_LENGTH_WITH_FLAGS
        assert Advertisement.from_bytes(ad).rpi == expected.rpi
    # spec ADV-3: each rotation is off, address, data, on: never one without the other.
    kinds = [kind for kind, _ in sequence]
    assert kinds[:2] == ["address", "data"]
    for index, kind in enumerate(kinds):
        if kind == "address":
            assert kinds[index + 1] == "data" and sequence[index + 2] == ("enable", 1)
            assert index == 0 or sequence[index - 1] == ("enable", 0)
        elif kind == "data":
            assert kinds[index - 1] == "address"
    assert len(set(addresses)) == len(addresses) and all(map(is_nrpa, addresses))
    # spec ADV-2: legacy non-connectable, non-scannable PDUs from the random address.
    if extended:
        (parameters,) = commands(records, hci.HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS_COMMAND)
        properties = int.from_bytes(parameters[1:3], "little")
        assert properties == 0x10  # legacy PDUs, not connectable, scannable or directed
        assert parameters[10] == 0x01  # own address type: random
    else:
        (parameters,) = commands(records, hci.HCI_LE_SET_ADVERTISING_PARAMETERS_COMMAND)
        assert parameters[4] == 0x03  # ADV_NONCONN_IND
        assert parameters[5] == 0x01  # own address type: random


def test_the_scanner_never_hears_a_new_address_with_an_old_payload(tmp_path: Path):
    async def main():
        world = await make_world(tmp_path, TRIO, duty_cycle=DutyCycle.always(60), start=False)
        stream = world.nodes["bob"].radio.sightings()
        for node in world.nodes.values():
            await node.start()
        await asyncio.sleep(25 * 60)
        reports = []
        while (sighting := stream.get_nowait()) is not None:
            reports.append(sighting)
        await world.close()
        return world, reports

    world, reports = run(main())
    sent = {(r.address, r.ad) for name in ("alice", "carol") for r in world.rotations[name]}
    pairs = collections.Counter((s.address, s.ad) for s in reports)
    assert set(pairs) == sent  # every (address, payload) heard was sent as a pair
    payloads_of = collections.defaultdict(set)
    addresses_of = collections.defaultdict(set)
    for address, ad in pairs:
        payloads_of[address].add(ad)
        addresses_of[ad].add(address)
    assert all(len(v) == 1 for v in payloads_of.values())
    assert all(len(v) == 1 for v in addresses_of.values())
    assert all(s.address_type == "random" for s in reports)
    assert len(world.rotations["alice"]) == 3  # two rotations happened while bob listened

    # RSSI follows the channel model: log-distance mean, 4 dB shadowing.
    for sender, distance in (("alice", 1.5), ("carol", math.hypot(1.5, 8))):
        ads = {r.ad for r in world.rotations[sender]}
        rssi = [s.rssi for s in reports if s.ad in ads]
        expected = -59 - 20 * math.log10(distance)
        assert len(rssi) > 4000
        assert statistics.fmean(rssi) == pytest.approx(expected, abs=0.5)
        assert statistics.stdev(rssi) == pytest.approx(4.0, abs=0.4)


def test_recorded_exposure_windows_match_the_scenario(tmp_path: Path):
    """Alice and Bob 1.5 m apart 10:00-10:40, Carol 8 m away 10:00-11:10; Alice reports."""
    trusted_key = signing_key()
    keys_dir = tmp_path / "published"
    keys_dir.mkdir()

    async def main():
        source = DirectoryKeySource(keys_dir, TrustedKey.from_pem(public_pem(trusted_key)))
        world = await make_world(tmp_path, TRIO, duty_cycle=DutyCycle(), key_source=source)
        await asyncio.sleep(40 * 60)
        world.channel.move("bob", Position(500, 0))
        await asyncio.sleep(30 * 60)
        report = await world.nodes["alice"].report()
        await world.stop()
        await asyncio.sleep(2 * 3600 + 600)  # the embargo (KS-12)
        keys = [
            TemporaryExposureKey(
                k.key.key.key_data, k.key.key.rolling_start, k.key.key.rolling_period, 1, 0
            )
            for k in report.keys
        ]
        write_export(keys_dir, "batch.zip", keys, trusted_key)
        outcomes = {n: await world.nodes[n].check_exposures() for n in ("bob", "carol")}
        checks = {n: await world.stores[n].exposure_checks() for n in ("bob", "carol")}
        await world.close()
        return outcomes, checks

    outcomes, checks = run(main())
    bob, carol = outcomes["bob"].assessment, outcomes["carol"].assessment
    left = START + 40 * 60
    assert bob.windows and all(START <= w.first_scan_s <= w.last_scan_s < left for w in bob.windows)
    seconds = sum(w.seconds for w in bob.windows)
    assert 40 * 60 - 300 <= seconds <= 40 * 60 + 300  # each scan counts the gap before it
    for window in bob.windows:
        low, high = window.typical_attenuation_db
        assert 55 <= low <= high <= 63  # 58.5 dB expected at 1.5 m: the "near" bucket
    assert bob.exposed and bob.days[0].v2_score_sum >= 900
    assert carol.windows and all(w.typical_attenuation_db[0] > 68 for w in carol.windows)
    assert max(w.last_scan_s for w in carol.windows) > left + 25 * 60  # Carol stayed
    assert not carol.exposed
    assert [c.matched_sightings for c in checks["bob"]] == [bob.matched_sightings]
    assert checks["bob"][0].details["exposed"] is True
    assert checks["carol"][0].details["exposed"] is False
