"""The node's check of logged legacy sightings against a Bluezone 2020 F0 push (spec BZ20-11).

Only for nodes that hear the legacy app (spec BZ20-1, off by default). The match is shown
to the user and recorded; unlike the 2020 app, nothing is uploaded on a match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bluezone.protocol.bluezone2020 import LegacySighting, match_legacy, parse_f0_push
from bluezone.protocol.keys import interval_number
from bluezone.reference_node.node.log import LOGGER_NAME, clock_time
from bluezone.reference_node.store import AsyncStore
from bluezone.reference_node.store.legacy import LegacyCheckRecord

log = logging.getLogger(LOGGER_NAME)


@dataclass(frozen=True, slots=True)
class LegacyMatch:
    """A legacy sighting that matched a pushed daily key: which key, when, how loud."""

    key_index: int
    sighting_id: int
    wall_time: float
    rssi: int | None


@dataclass(frozen=True, slots=True)
class LegacyCheckOutcome:
    """What one F0 check found: keys checked, sightings compared, the matches."""

    keys_checked: int
    sightings_checked: int
    matches: tuple[LegacyMatch, ...]


async def check_legacy(
    store: AsyncStore, push: object, now_s: float, node_name: str = "node"
) -> LegacyCheckOutcome:
    """Parse ``push`` (BZ20-10), match the kept legacy sightings (BZ20-11), record the check."""
    keys = parse_f0_push(push)
    stored = await store.legacy_sightings(interval_number(now_s))
    sightings = [LegacySighting(s.record.blid, s.record.wall_time) for s in stored]
    matches = tuple(
        LegacyMatch(k, stored[i].sighting_id, stored[i].record.wall_time, stored[i].record.rssi)
        for k, i in match_legacy(keys, sightings)
    )
    record = LegacyCheckRecord(now_s, len(keys), tuple(m.sighting_id for m in matches))
    await store.add_legacy_check(record)
    log.info(
        "%s: legacy F0 check at %s: %d keys, %d sightings, %d matches",
        node_name,
        clock_time(now_s),
        len(keys),
        len(sightings),
        len(matches),
        extra={
            "event": "legacy_check",
            "fields": {"node": node_name, "keys": len(keys), "matches": len(matches)},
        },
    )
    return LegacyCheckOutcome(len(keys), len(sightings), matches)
