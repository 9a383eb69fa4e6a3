"""A node on the bumble virtual link hears a simulated Bluezone 2020 phone (spec BZ20-12).

The legacy phone advertises the 2020 Android format slot by slot; a node that hears the
legacy app logs its BLIDs apart and matches them against an F0 push (BZ20-11); a node with
the option off (the default) drops them like any advertisement it cannot decode.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bluezone.protocol.bluezone2020 import F0Key, blid_at, push_json
from bluezone.reference_node.node.runtime import Node, NodeConfig
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.bumble_radio import BumbleRadio
from bluezone.reference_node.radio.channel import Channel, Placement, Position
from bluezone.reference_node.radio.legacy_phone import LegacyPhone
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.vtime import clock as vclock
from bluezone.reference_node.vtime.inline import open_inline_store
from tests.reference_node.node.support import CALIBRATION, MIDNIGHT, MODEL, RSSI_AT_1M, START

INSTALL_DAY = int(MIDNIGHT) - 3 * 86400
BASE_KEY = bytes(range(32))
PLACES = {"alice": Position(0, 0), "carol": Position(1, 0), "legacy": Position(1.5, 0)}


def _radio(link: VirtualLink, name: str) -> BumbleRadio:
    return BumbleRadio.from_controller(VirtualController(name, link, command_latency_s=0.001))


async def _scenario(tmp_path: Path):
    channel = Channel(MODEL, random.Random(7))
    for name, position in PLACES.items():
        channel.place(name, Placement(position, RSSI_AT_1M))
    link = VirtualLink(channel)
    stores, nodes, rotations = {}, {}, []
    for name, hears in (("alice", True), ("carol", False)):
        stores[name] = open_inline_store(tmp_path / name)
        config = NodeConfig(
            name=name,
            calibration=CALIBRATION,
            duty_cycle=DutyCycle.always(60.0),
            status_interval_s=None,
            hear_bluezone_2020=hears,
        )
        nodes[name] = Node(
            config,
            radio=_radio(link, name),
            store=stores[name],
            random_bytes=random.Random(name).randbytes,
            on_rotation=rotations.append if hears else None,
        )
    phone = LegacyPhone(
        _radio(link, "legacy"), BASE_KEY, INSTALL_DAY, random_bytes=random.Random(3).randbytes
    )
    async with phone:
        for node in nodes.values():
            await node.start()
        await asyncio.sleep(40 * 60)  # 10:00 to 10:40: slots 40, 41 and 42 of the day
        for node in nodes.values():
            await node.stop()
    now = int(vclock.current_clock().wall())
    pushed = push_json([F0Key(BASE_KEY, INSTALL_DAY, now, 96)])
    other = push_json([F0Key(bytes(32), INSTALL_DAY, now, 96)])
    outcome = {
        "match": await nodes["alice"].check_legacy(pushed),
        "miss": await nodes["alice"].check_legacy(other),
        "carol": await nodes["carol"].check_legacy(pushed),
        "kept": await stores["alice"].legacy_sightings(now // 600),
        "checks": await stores["alice"].legacy_checks(),
        "ours": await stores["alice"].sightings(),
        "rotations": rotations,
    }
    for store in stores.values():
        await store.close()
    return phone, nodes, outcome


def test_a_node_logs_and_matches_a_simulated_legacy_phone(tmp_path: Path):
    phone, nodes, outcome = vclock.run(_scenario(tmp_path), wall_start=START)
    rotations = outcome["rotations"]
    assert [blid for _, blid in phone.broadcast] == [
        blid_at(BASE_KEY, INSTALL_DAY, int(START) + 900 * n).blid for n in range(3)
    ]
    kept = outcome["kept"]
    assert nodes["alice"].legacy_sightings == len(kept) > 100  # 40 minutes of adverts
    for stored in kept:  # each sighting carries the BLID of its own slot (BZ20-4)
        assert stored.record.blid == blid_at(BASE_KEY, INSTALL_DAY, stored.record.wall_time).blid
    assert {s.record.blid for s in kept} == {blid for _, blid in phone.broadcast}
    match = outcome["match"]
    assert match.keys_checked == 1 and match.sightings_checked == len(kept)
    assert len(match.matches) == len(kept)  # every one in its exact slot (BZ20-11)
    assert outcome["miss"].matches == ()
    assert [c.keys_checked for c in outcome["checks"]] == [1, 1]
    assert len(outcome["checks"][0].matched_sighting_ids) == len(kept)
    # The option is off by default: carol dropped the legacy adverts and logged none.
    assert outcome["carol"].sightings_checked == 0 and outcome["carol"].matches == ()
    assert nodes["carol"].dropped["legacy_missing_service_uuid"] == 0
    assert nodes["carol"].dropped["ad_missing_service_uuid"] >= len(kept) // 2
    # spec BZ20-1: hearing the legacy app never puts its format on air.
    assert all(len(r.ad) == 31 for r in rotations) and rotations
    # Alice still hears carol's identifiers of section 2, next to the legacy ones.
    assert outcome["ours"] and nodes["alice"].dropped["ad_missing_service_uuid"] == 0
