"""Cases of spec/vectors/matching.json (spec section 3)."""

from __future__ import annotations

import random
from typing import Any

import reference_impl as ref
import upstream
from vectorfile import Group

NOTES = {
    "OfficialVector": "built on the GAEN official key and its published RPI and AEM",
    "LiveDevice": "built on the key, RPI and AEM reported from a production GAEN device",
    "ExactInterval": "a sighting at the identifier's own interval",
    "ToleranceEdge": "a sighting exactly 12 intervals from the identifier's interval",
    "OutsideTolerance": "a sighting 13 intervals from the identifier's interval",
    "PeriodEdge": "an identifier at the last interval of a key, or just after it",
    "RollingPeriodOne": "a key with rolling period 1",
    "EdgeInterval": "a key or sighting at interval 0 or 2^32-1",
    "UnalignedStart": "a key that starts mid-day (re-keyed after a report)",
    "DuplicateKey": "the same key data more than once",
    "TwoKeys": "several keys, results ordered by key then sighting",
    "RepeatedSighting": "the same identifier sighted more than once",
    "NoMatch": "an identifier that belongs to no key",
    "Empty": "an empty key or sighting list",
    "InvalidKey": "a key record that breaks KS-1 or KS-4",
    "InvalidSighting": "a sighting whose interval is not a uint32",
    "Retention": "a sighting at the 14-day retention edge",
    "UnsupportedVersion": "a matched sighting whose metadata has a major version other than 1",
    "ImplausibleTxPower": "a matched sighting whose TX power is outside [-50, +20] dBm",
    "TxPowerEdge": "TX power -50 or +20 dBm, the plausible range's ends",
    "ReservedBitsSet": "metadata with minor version or reserved bits set (ignored)",
    "Embargo": "a key whose period plus 2 h has not ended at now_interval",
    "CheckOrder": "several faults at once; the rules' order decides the outcome",
}

Pairs = tuple[tuple[int, int], ...]
Fates = tuple[tuple[int, str], ...]
EMBARGOED, UNSUPPORTED, IMPLAUSIBLE = "embargoed_key", "unsupported_version", "implausible_tx_power"

DAY = 2642976  # a UTC midnight (the official key's day)
MAX = ref.MAX_INTERVAL


def _key(key: bytes, start: int, period: int) -> dict[str, Any]:
    return {"key": key.hex(), "rolling_start": start, "rolling_period": period}


def _sight(tek: bytes, j: int, s: int | None = None) -> dict[str, Any]:
    """A sighting of tek's identifier for interval j, logged at interval s (default j)."""
    return {"rpi": ref.derive_rpi(tek, j).hex(), "interval": j if s is None else s}


def _sight_aem(tek: bytes, j: int, metadata: str, s: int | None = None) -> dict[str, Any]:
    sighting = _sight(tek, j, s)
    rpi = bytes.fromhex(sighting["rpi"])
    return sighting | {"aem": ref.encrypt_aem(tek, rpi, bytes.fromhex(metadata)).hex()}


def _keys(i: dict[str, Any]) -> list[ref.Key]:
    return [
        ref.Key(bytes.fromhex(k["key"]), k["rolling_start"], k["rolling_period"]) for k in i["keys"]
    ]


def run_match(i: dict[str, Any]) -> dict[str, Any]:
    sightings = [ref.Sighting(bytes.fromhex(s["rpi"]), s["interval"]) for s in i["sightings"]]
    pairs = ref.find_matches(_keys(i), sightings)
    return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}


def run_exposure_check(i: dict[str, Any]) -> dict[str, Any]:
    sightings = [
        ref.Sighting(bytes.fromhex(s["rpi"]), s["interval"], bytes.fromhex(s["aem"]))
        for s in i["sightings"]
    ]
    matches, rejected, discarded = ref.check_exposures(_keys(i), sightings, i["now_interval"])
    return {
        "matches": [{"key_index": k, "sighting_index": s} for k, s in matches],
        "rejected_keys": [{"key_index": k, "error": e} for k, e in rejected],
        "discarded_sightings": [{"sighting_index": s, "error": e} for s, e in discarded],
    }


def build(rng: random.Random) -> list[Group]:
    """All groups of the matching file, in file order."""
    keys = [rng.randbytes(16) for _ in range(4)]
    return [_match(keys), _match_invalid(keys), _exposure_check(keys)]


def _pairs(*pairs: tuple[int, int]) -> dict[str, Any]:
    return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}


def _match(keys: list[bytes]) -> Group:
    g = Group("Match", "expansion and tolerance matching (MATCH-1..5)", run_match)
    k0, k1, k2, _ = keys
    full = [_key(k0, DAY, 144)]
    j = DAY + 10

    def add(
        comment: str,
        spec: list[str],
        flags: list[str],
        key_list: list[dict[str, Any]],
        sightings: list[dict[str, Any]],
        *pairs: tuple[int, int],
    ) -> None:
        g.add(
            comment,
            spec,
            flags,
            {"keys": key_list, "sightings": sightings},
            expected=_pairs(*pairs),
        )

    add(
        "sighting at the identifier's own interval",
        ["MATCH-2", "MATCH-3"],
        ["ExactInterval"],
        full,
        [_sight(k0, j)],
        (0, 0),
    )
    add(
        "sighting 12 intervals after the identifier's interval",
        ["MATCH-3"],
        ["ToleranceEdge"],
        full,
        [_sight(k0, j, j + 12)],
        (0, 0),
    )
    add(
        "sighting 12 intervals before the identifier's interval",
        ["MATCH-3"],
        ["ToleranceEdge"],
        full,
        [_sight(k0, j, j - 12)],
        (0, 0),
    )
    add(
        "sighting 13 intervals after: no match",
        ["MATCH-3"],
        ["OutsideTolerance"],
        full,
        [_sight(k0, j, j + 13)],
    )
    add(
        "sighting 13 intervals before: no match",
        ["MATCH-3"],
        ["OutsideTolerance"],
        full,
        [_sight(k0, j, j - 13)],
    )
    short = [_key(k0, DAY, 100)]
    add(
        "rolling period 100: identifier of the last interval (start + 99)",
        ["MATCH-2"],
        ["PeriodEdge"],
        short,
        [_sight(k0, DAY + 99)],
        (0, 0),
    )
    add(
        "rolling period 100: identifier of start + 100, not in the expansion",
        ["MATCH-2"],
        ["PeriodEdge", "NoMatch"],
        short,
        [_sight(k0, DAY + 100)],
    )
    add(
        "rolling period 100: last identifier seen 12 intervals after the period",
        ["MATCH-2", "MATCH-3"],
        ["PeriodEdge", "ToleranceEdge"],
        short,
        [_sight(k0, DAY + 99, DAY + 111)],
        (0, 0),
    )
    add(
        "rolling period 100: the last identifier and the first one past it",
        ["MATCH-2"],
        ["PeriodEdge"],
        short,
        [_sight(k0, DAY + 100), _sight(k0, DAY + 99)],
        (0, 1),
    )
    one = [_key(k0, DAY + 50, 1)]
    add(
        "rolling period 1: its single identifier",
        ["MATCH-2"],
        ["RollingPeriodOne"],
        one,
        [_sight(k0, DAY + 50)],
        (0, 0),
    )
    add(
        "rolling period 1: identifiers of the intervals before and after it",
        ["MATCH-2"],
        ["RollingPeriodOne", "NoMatch"],
        one,
        [_sight(k0, DAY + 49), _sight(k0, DAY + 51)],
    )
    add(
        "key started mid-day (start + 43, period 101)",
        ["MATCH-2"],
        ["UnalignedStart"],
        [_key(k0, DAY + 43, 101)],
        [_sight(k0, DAY + 42), _sight(k0, DAY + 43)],
        (0, 1),
    )
    add(
        "key at interval 0, sighting at 0 and at 12",
        ["MATCH-2", "MATCH-3"],
        ["EdgeInterval"],
        [_key(k0, 0, 144)],
        [_sight(k0, 0), _sight(k0, 0, 12), _sight(k0, 0, 13)],
        (0, 0),
        (0, 1),
    )
    add(
        "key at interval 2^32-1 (period 1), sighted at 2^32-1, 2^32-13 and 2^32-14",
        ["MATCH-2", "MATCH-3"],
        ["EdgeInterval", "ToleranceEdge"],
        [_key(k0, MAX, 1)],
        [_sight(k0, MAX), _sight(k0, MAX, MAX - 12), _sight(k0, MAX, MAX - 13)],
        (0, 0),
        (0, 1),
    )
    add(
        "same key twice: only the first copy matches",
        ["MATCH-4"],
        ["DuplicateKey"],
        full + full,
        [_sight(k0, j)],
        (0, 0),
    )
    add(
        "same key data twice with different periods: the second copy is ignored, so an "
        "identifier only it expands to does not match",
        ["MATCH-4"],
        ["DuplicateKey", "NoMatch"],
        [_key(k0, DAY, 144), _key(k0, DAY + 144, 144)],
        [_sight(k0, DAY + 150)],
    )
    add(
        "keys A, B, A: A matches as key 0, B as key 1",
        ["MATCH-4", "MATCH-5"],
        ["DuplicateKey", "TwoKeys"],
        [_key(k0, DAY, 144), _key(k1, DAY, 144), _key(k0, DAY, 144)],
        [_sight(k1, j), _sight(k0, j)],
        (0, 1),
        (1, 0),
    )
    add(
        "two keys, sightings interleaved: results by key, then sighting",
        ["MATCH-5"],
        ["TwoKeys"],
        [_key(k1, DAY, 144), _key(k2, DAY + 144, 144)],
        [
            _sight(k2, DAY + 150),
            _sight(k1, j),
            _sight(k2, DAY + 144 + 143),
            _sight(k1, DAY + 143, DAY + 145),
            _sight(k0, j),
        ],
        (0, 1),
        (0, 3),
        (1, 0),
        (1, 2),
    )
    add(
        "the same identifier sighted three times, once outside the tolerance",
        ["MATCH-3"],
        ["RepeatedSighting", "OutsideTolerance"],
        full,
        [_sight(k0, j), _sight(k0, j, j + 5), _sight(k0, j, j + 20)],
        (0, 0),
        (0, 1),
    )
    add("an identifier that belongs to no key", ["MATCH-2"], ["NoMatch"], full, [_sight(k1, j)])
    add("no keys", ["MATCH-2"], ["Empty"], [], [_sight(k0, j)])
    add("no sightings", ["MATCH-2"], ["Empty"], full, [])
    add("no keys and no sightings", ["MATCH-2"], ["Empty"], [], [])
    off = upstream.GAEN_OFFICIAL
    tek = bytes.fromhex(off.tek or "")
    g.add(
        "GAEN official key against its published first and last identifiers",
        ["MATCH-2", "MATCH-3"],
        ["OfficialVector", "PeriodEdge"],
        {
            "keys": [_key(tek, DAY, 144)],
            "sightings": [{"rpi": rpi, "interval": jj} for jj, rpi, _ in off.intervals],
        },
        expected=_pairs((0, 0), (0, 1)),
        source=off.source,
    )
    return g


def _match_invalid(keys: list[bytes]) -> Group:
    g = Group("Match", "inputs the matcher rejects as a whole (MATCH-1)", run_match)
    k0, k1, *_ = keys
    sightings = [_sight(k0, DAY + 10)]
    for key_list, comment, error, spec in [
        ([_key(k0[:15], DAY, 144)], "key data of 15 bytes", "invalid_key", ["MATCH-1", "KS-1"]),
        (
            [_key(k0 + b"\x00", DAY, 144)],
            "key data of 17 bytes",
            "invalid_key",
            ["MATCH-1", "KS-1"],
        ),
        ([_key(k0, DAY, 0)], "rolling period 0", "invalid_rolling_period", ["MATCH-1", "KS-4"]),
        ([_key(k0, DAY, 145)], "rolling period 145", "invalid_rolling_period", ["MATCH-1", "KS-4"]),
        (
            [_key(k0, MAX - 10, 144)],
            "key running past 2^32-1",
            "invalid_rolling_period",
            ["MATCH-1", "KS-4"],
        ),
        ([_key(k0, -1, 144)], "rolling start -1", "invalid_interval", ["MATCH-1", "KS-2"]),
        (
            [_key(k0, DAY, 144), _key(k1, DAY, 0)],
            "a valid key, then one with rolling period 0",
            "invalid_rolling_period",
            ["MATCH-1", "KS-4"],
        ),
    ]:
        g.add(
            comment, spec, ["InvalidKey"], {"keys": key_list, "sightings": sightings}, error=error
        )
    g.add(
        "a sighting at interval -1",
        ["KS-2"],
        ["InvalidSighting"],
        {"keys": [_key(k0, DAY, 144)], "sightings": [_sight(k0, DAY + 10, -1)]},
        error="invalid_interval",
    )
    return g


def _exposure_check(keys: list[bytes]) -> Group:
    g = Group(
        "ExposureCheck",
        "a whole exposure check: embargo, retention, metadata (MATCH-1..8)",
        run_exposure_check,
    )
    k0, k1, k2, k3 = keys
    ok = DAY + 144 + 12  # the first interval at which a full key of DAY is usable
    j = DAY + 10
    meta = "40f60000"  # v1.0, -10 dBm

    def add(
        comment: str,
        spec: list[str],
        flags: list[str],
        key_list: list[dict[str, Any]],
        sightings: list[dict[str, Any]],
        now: int,
        *,
        m: Pairs = (),
        r: Fates = (),
        d: Fates = (),
        source: str = "generated",
    ) -> None:
        expected = _pairs(*m) | {
            "rejected_keys": [{"key_index": k, "error": e} for k, e in r],
            "discarded_sightings": [{"sighting_index": s, "error": e} for s, e in d],
        }
        g.add(
            comment,
            spec,
            flags,
            {"keys": key_list, "sightings": sightings, "now_interval": now},
            expected=expected,
            source=source,
        )

    full = [_key(k0, DAY, 144)]
    add(
        "one key, one sighting, checked at the first interval after the embargo",
        ["MATCH-3", "MATCH-8"],
        ["Embargo"],
        full,
        [_sight_aem(k0, j, meta)],
        ok,
        m=((0, 0),),
    )
    add(
        "checked one interval early: the key is embargoed",
        ["MATCH-8"],
        ["Embargo"],
        full,
        [_sight_aem(k0, j, meta)],
        ok - 1,
        r=((0, EMBARGOED),),
    )
    add(
        "one key usable, one still embargoed",
        ["MATCH-8"],
        ["Embargo", "TwoKeys"],
        [_key(k0, DAY, 144), _key(k1, DAY + 144, 144)],
        [_sight_aem(k1, DAY + 150, meta), _sight_aem(k0, j, meta)],
        ok,
        m=((0, 1),),
        r=((1, EMBARGOED),),
    )
    add(
        "key cut by a report after 43 intervals, checked 12 intervals after the cut",
        ["MATCH-8", "KS-13"],
        ["Embargo"],
        [_key(k0, DAY, 43)],
        [_sight_aem(k0, DAY + 42, meta)],
        DAY + 43 + 12,
        m=((0, 0),),
    )
    edge = DAY + 9 + 2016
    add(
        "retention: a sighting exactly 2016 intervals old is matched, one 2017 old is not",
        ["MATCH-6"],
        ["Retention"],
        full,
        [_sight_aem(k0, DAY + 8, meta), _sight_aem(k0, DAY + 9, meta)],
        edge,
        m=((0, 1),),
    )
    add(
        "retention: 2017 intervals old, never matched",
        ["MATCH-6"],
        ["Retention"],
        full,
        [_sight_aem(k0, DAY + 9, meta)],
        edge + 1,
    )
    for byte0, comment in [
        ("00", "major version 0"),
        ("80", "major version 2"),
        ("c0", "major version 3"),
    ]:
        add(
            f"metadata decrypts to {comment}: the sighting is discarded",
            ["MATCH-7", "KS-10"],
            ["UnsupportedVersion"],
            full,
            [_sight_aem(k0, j, byte0 + "f60000")],
            ok,
            d=((0, UNSUPPORTED),),
        )
    for tx, flags in [
        (-51, ["ImplausibleTxPower"]),
        (21, ["ImplausibleTxPower"]),
        (-128, ["ImplausibleTxPower"]),
        (127, ["ImplausibleTxPower"]),
        (-50, ["TxPowerEdge"]),
        (20, ["TxPowerEdge"]),
    ]:
        kept = flags == ["TxPowerEdge"]
        add(
            f"TX power {tx:+d} dBm: {'kept' if kept else 'discarded'}",
            ["MATCH-7"],
            flags,
            full,
            [_sight_aem(k0, j, f"40{tx & 0xFF:02x}0000")],
            ok,
            m=((0, 0),) if kept else (),
            d=() if kept else ((0, IMPLAUSIBLE),),
        )
    add(
        "major version 0 and TX power +100 dBm: the version is checked first",
        ["MATCH-7", "KS-10"],
        ["UnsupportedVersion", "CheckOrder"],
        full,
        [_sight_aem(k0, j, "00640000")],
        ok,
        d=((0, UNSUPPORTED),),
    )
    add(
        "minor version 3, reserved bits and bytes set, TX power 0: kept",
        ["MATCH-7", "KS-10"],
        ["ReservedBitsSet"],
        full,
        [_sight_aem(k0, j, "7f00ffff")],
        ok,
        m=((0, 0),),
    )
    add(
        "mixed: kept, discarded, unknown, and out of tolerance",
        ["MATCH-3", "MATCH-7"],
        ["TwoKeys", "ImplausibleTxPower", "NoMatch"],
        [_key(k0, DAY, 144), _key(k1, DAY, 144)],
        [
            _sight_aem(k1, j, meta),
            _sight_aem(k0, j, "40c00000"),
            _sight_aem(k2, j, meta),
            _sight_aem(k0, j + 1, meta, j + 14),
            _sight_aem(k0, j + 2, meta),
        ],
        ok,
        m=((0, 4), (1, 0)),
        d=((1, IMPLAUSIBLE),),
    )
    add(
        "invalid keys are rejected one by one; the others are matched",
        ["MATCH-1", "KS-1", "KS-4"],
        ["InvalidKey"],
        [_key(k0[:15], DAY, 144), _key(k1, DAY, 0), _key(k2, DAY, 144), _key(k3, MAX, 2)],
        [_sight_aem(k2, j, meta)],
        ok,
        m=((2, 0),),
        r=((0, "invalid_key"), (1, "invalid_rolling_period"), (3, "invalid_rolling_period")),
    )
    add(
        "an invalid key that is also embargoed reports its validity error",
        ["MATCH-1", "MATCH-8"],
        ["InvalidKey", "Embargo", "CheckOrder"],
        [_key(k0, DAY, 145)],
        [_sight_aem(k0, j, meta)],
        DAY,
        r=((0, "invalid_rolling_period"),),
    )
    add(
        "same key twice: only the first copy matches",
        ["MATCH-4"],
        ["DuplicateKey"],
        full + full,
        [_sight_aem(k0, j, meta)],
        ok,
        m=((0, 0),),
    )
    add(
        "an embargoed copy first, a usable copy second: the usable copy matches",
        ["MATCH-4", "MATCH-8"],
        ["DuplicateKey", "Embargo"],
        [_key(k0, DAY + 144, 144), _key(k0, DAY, 144)],
        [_sight_aem(k0, j, meta)],
        ok,
        m=((1, 0),),
        r=((0, EMBARGOED),),
    )
    add("no keys", ["MATCH-2"], ["Empty"], [], [_sight_aem(k0, j, meta)], ok)
    add("no sightings", ["MATCH-2"], ["Empty"], full, [], ok)
    off = upstream.GAEN_OFFICIAL
    add(
        "GAEN official key, its first and last identifiers with their published AEM (+8 dBm)",
        ["MATCH-3", "MATCH-7"],
        ["OfficialVector"],
        [_key(bytes.fromhex(off.tek or ""), DAY, 144)],
        [{"rpi": rpi, "interval": jj, "aem": aem} for jj, rpi, aem in off.intervals],
        ok,
        m=((0, 0), (0, 1)),
        source=off.source,
    )
    live = upstream.LIVE_DEVICE
    ((lj, lrpi, laem),) = live.intervals
    start = lj - lj % 144
    add(
        "live device key, its published identifier and AEM (-14 dBm)",
        ["MATCH-3", "MATCH-7"],
        ["LiveDevice"],
        [_key(bytes.fromhex(live.tek or ""), start, 144)],
        [{"rpi": lrpi, "interval": lj, "aem": laem}],
        start + 144 + 12,
        m=((0, 0),),
        source=live.source,
    )
    return g
