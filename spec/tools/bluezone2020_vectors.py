"""Generate spec/vectors/bluezone-2020.json: the legacy Bluezone 2020 profile (appendix A1).

Usage: python spec/tools/bluezone2020_vectors.py --seed 2020

Expected values come from a short implementation of BZ20-2..BZ20-11 written here from the
appendix's text (hashlib only), independent of protocol/bluezone2020.py. It first checks
itself against the real captures kept in upstream/bluezone-2020-captures.json (every
own-BLID of the two phones captured in thaidn/bluezone) and against the derived chain of the
project's data set, and stops on any difference; each captured row then becomes a
Bz2020Blid test. Generated cases (random keys and times from the seed, hostile advertising
data, F0 pushes built to match or miss) follow.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from reference_impl import SpecError
from vectorfile import VECTORS_DIR, Group, write_vector_file

CAPTURES = Path(__file__).resolve().parent / "upstream" / "bluezone-2020-captures.json"
DAY = 86400
OFFSETS = (0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30)
SALT = b"bluzonesubkey"
MAX_TIME = 2**32 - 1
UUID_LIST = bytes.fromhex("0303564e")
FLAGS = bytes.fromhex("02011a")
MFR = bytes.fromhex("0fffb522")

NOTES = {
    "captured": "a row of a real upload of the official Android app 2.0.4: the BLID it broadcast",
    "derived": "a value of the project's derived chain (independent re-implementation)",
    "v2_slots": "144 slots per day, as the v2.0.0 source: the captured times give other BLIDs",
    "boundary": "a time or value exactly at the edge of a slot, a day or a range",
    "slots": "a slots-per-day value other than 96",
    "key_length": "a key of a length other than 32 bytes",
    "time_range": "a time or install day outside what BZ20-4 allows",
    "structure": "advertising data broken at the AD-structure level (ADV-4..ADV-8)",
    "order": "structures in another order, or other structures around ours",
    "ios_leniency": "what the iOS app accepted without checking (BZ20-9 note)",
    "ios_form": "the iOS app's advertisement, whose BLID is only read over GATT (BZ20-9)",
    "gaen": "an advertisement of section 2, not the legacy format",
    "exact_slot": "a sighting one slot away from the BLID's own slot",
    "push_shape": "a push that is not a list of well-formed entries",
    "multi_day": "a check that crosses a day, so the daily key is re-hashed",
}


# --- the profile, written from appendix A1 ------------------------------------------------


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def slot_seconds(slots: Any) -> int:
    if not isinstance(slots, int) or not 1 <= slots <= 1440 or DAY % slots:
        raise SpecError("legacy_invalid_slots", "BZ20-4")
    return DAY // slots


def key_bytes(text: str) -> bytes:
    key = bytes.fromhex(text)
    if len(key) != 32:
        raise SpecError("legacy_invalid_key", "BZ20-2")
    return key


def blid(daily: bytes, slot: int) -> bytes:
    sub = sha(daily + SALT)
    for _ in range(slot):
        sub = sha(sub)
    return bytes(sub[o] for o in OFFSETS)


def schedule(inputs: dict[str, Any]) -> dict[str, Any]:
    """BZ20-2..BZ20-4, checked in the order key, slots, time."""
    base = key_bytes(inputs["base_key"])
    length = slot_seconds(inputs["slots_per_day"])
    install, time = inputs["install_day"], inputs["time"]
    if not (0 <= install <= MAX_TIME and 0 <= time <= MAX_TIME) or install % DAY:
        raise SpecError("legacy_invalid_time", "BZ20-4")
    if time < install:
        raise SpecError("legacy_invalid_time", "BZ20-4")
    daily = base
    for _ in range((time - install) // DAY):
        daily = sha(daily)
    slot = time % DAY // length
    return {"blid": blid(daily, slot).hex(), "daily_key": daily.hex(), "slot": slot}


def decode(inputs: dict[str, Any]) -> dict[str, Any]:
    """BZ20-6..BZ20-8 with the walk of ADV-4..ADV-8."""
    ad = bytes.fromhex(inputs["ad"])
    if len(ad) > 31:
        raise SpecError("ad_too_long", "ADV-4")
    seen: dict[int, bytes] = {}
    at = 0
    while at < len(ad):
        size = ad[at]
        if size == 0:
            if any(ad[at:]):
                raise SpecError("ad_nonzero_padding", "ADV-6")
            break
        if at + 1 + size > len(ad):
            raise SpecError("ad_truncated", "ADV-5")
        kind, data = ad[at + 1], ad[at + 2 : at + 1 + size]
        at += 1 + size
        if kind == 0xFF:
            if len(data) < 2:
                raise SpecError("legacy_blid_length", "BZ20-6")
            if data[:2] != b"\xb5\x22":
                continue
            data = data[2:]
        elif kind not in (0x01, 0x03):
            continue
        if kind in seen:
            raise SpecError("ad_duplicate_structure", "ADV-7")
        if kind == 0x01 and len(data) != 1:
            raise SpecError("ad_bad_flags", "ADV-8")
        seen[kind] = data
    uuids = seen.get(0x03)
    if (
        not uuids
        or len(uuids) % 2
        or b"\x56\x4e" not in [uuids[i : i + 2] for i in range(0, len(uuids), 2)]
    ):
        raise SpecError("legacy_missing_service_uuid", "BZ20-7")
    if 0xFF not in seen:
        raise SpecError("legacy_missing_manufacturer_data", "BZ20-8")
    if len(seen[0xFF]) != 12:
        raise SpecError("legacy_blid_length", "BZ20-8")
    return {"blid": seen[0xFF].hex()}


def read_push(push: Any) -> list[tuple[bytes, int, int, int]]:
    """BZ20-10: shape, then per entry key, slots, time."""
    entries = push.get("data") if isinstance(push, dict) else None
    if not isinstance(entries, list) or len(entries) > 1024:
        raise SpecError("legacy_invalid_push", "BZ20-10")
    read = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise SpecError("legacy_invalid_push", "BZ20-10")
        fields = [entry.get(n) for n in ("daily_key", "time_start", "time_end", "max")]
        if not isinstance(fields[0], str):
            raise SpecError("legacy_invalid_push", "BZ20-10")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in fields[1:]):
            raise SpecError("legacy_invalid_push", "BZ20-10")
        key = bytes.fromhex(fields[0])
        if len(key) != 32:
            raise SpecError("legacy_invalid_key", "BZ20-10")
        try:
            slot_seconds(fields[3])
        except SpecError:
            raise SpecError("legacy_invalid_slots", "BZ20-10") from None
        start, end = fields[1], fields[2]
        if start % DAY or not 0 <= start <= end <= MAX_TIME:
            raise SpecError("legacy_invalid_time", "BZ20-10")
        read.append((key, start, end, fields[3]))
    return read


def match(inputs: dict[str, Any]) -> dict[str, Any]:
    """BZ20-11 by brute force: every slot from the start to the end, every sighting."""
    keys = read_push(inputs["push"])
    found = []
    for k, (key, start, end, slots) in enumerate(keys):
        length = DAY // slots
        for s, sighting in enumerate(inputs["sightings"]):
            t = sighting["time"]
            if t < start:
                continue
            j = (t - start) // length
            if start + j * length > end:
                continue
            daily = key
            for _ in range(j // slots):
                daily = sha(daily)
            if blid(daily, j % slots).hex() == sighting["blid"]:
                found.append({"key_index": k, "sighting_index": s})
    return {"matches": found}


# --- the captures --------------------------------------------------------------------------


def load_captures() -> dict[str, Any]:
    captures = json.loads(CAPTURES.read_text(encoding="utf-8"))
    for phone in captures["phones"]:
        for own, ms in phone["rows"]:
            got = schedule(
                {
                    "base_key": phone["base_id"].lower(),
                    "install_day": phone["install_day"],
                    "time": ms // 1000,
                    "slots_per_day": 96,
                }
            )
            assert got["blid"] == own.lower(), (phone["name"], ms, got, own)
    derived = captures["derived"]
    base = captures["phones"][0]["base_id"].lower()
    for day in derived["phone_a_days"]:
        for slot, want in day["blids"].items():
            time = 1596844800 + DAY * day["day"] + 900 * int(slot)
            got = schedule(
                {"base_key": base, "install_day": 1596844800, "time": time, "slots_per_day": 96}
            )
            assert got["blid"] == want.lower() and got["daily_key"] == day["daily_key"].lower()
    for slot, want in derived["zero_key_blids"].items():
        assert blid(bytes(32), int(slot)).hex() == want.lower()
    return captures


def iso(seconds: int) -> str:
    hours, rest = divmod(seconds % DAY, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d} UTC"


def blid_group(captures: dict[str, Any], rng: random.Random) -> Group:
    group = Group("Bz2020Blid", "the BLID broadcast at a time (BZ20-2..BZ20-4)", schedule)
    rules = ["BZ20-2", "BZ20-3", "BZ20-4"]
    for phone in captures["phones"]:
        base, install = phone["base_id"].lower(), phone["install_day"]
        for number, (own, ms) in enumerate(phone["rows"], start=1):
            time = ms // 1000
            group.add(
                f"{phone['name']}, history row {number}: own BLID at {iso(time)} ({ms} ms)",
                rules,
                ["captured"],
                {"base_key": base, "install_day": install, "time": time, "slots_per_day": 96},
                expected={"blid": own.lower()},
                source=phone["source"],
            )
    base_a = captures["phones"][0]["base_id"].lower()
    derived = captures["derived"]
    for day in derived["phone_a_days"]:
        for slot, want in day["blids"].items():
            time = 1596844800 + DAY * day["day"] + 900 * int(slot)
            group.add(
                f"phone A's chain, day {day['day']}, slot {slot} (slot start)",
                rules,
                ["derived", "boundary"],
                {"base_key": base_a, "install_day": 1596844800, "time": time, "slots_per_day": 96},
                expected={"blid": want.lower(), "daily_key": day["daily_key"].lower()},
                source=derived["source"],
            )
    for slot, want in derived["zero_key_blids"].items():
        group.add(
            f"all-zero base key, slot {slot}",
            rules,
            ["derived"],
            {"base_key": "00" * 32, "install_day": 0, "time": 900 * int(slot), "slots_per_day": 96},
            expected={"blid": want.lower()},
            source=derived["source"],
        )
    phone_b = captures["phones"][1]
    for _, ms in phone_b["rows"][:: len(phone_b["rows"]) - 1]:
        group.add(
            "phone B's captured time with 144 slots per day: not the BLID it broadcast",
            rules,
            ["v2_slots", "slots"],
            {
                "base_key": phone_b["base_id"].lower(),
                "install_day": 1596844800,
                "time": ms // 1000,
                "slots_per_day": 144,
            },
        )
    install = 1596844800
    for comment, time in [
        ("the last second of slot 0", install + 899),
        ("the last second of the install day", install + DAY - 1),
        ("the first second of the next day", install + DAY),
        ("the install day's midnight itself", install),
    ]:
        group.add(
            comment,
            rules,
            ["boundary"],
            {"base_key": base_a, "install_day": install, "time": time, "slots_per_day": 96},
        )
    for slots in (1, 24, 144, 1440, 96, 96):
        base = rng.randbytes(32).hex()
        day0 = DAY * rng.randrange(18000, 20000)
        time = day0 + rng.randrange(0, 40 * DAY)
        group.add(
            f"random key, {slots} slots per day, day {(time - day0) // DAY} after install",
            rules,
            ["slots"] if slots != 96 else [],
            {"base_key": base, "install_day": day0, "time": time, "slots_per_day": slots},
        )
    good = {"base_key": base_a, "install_day": install, "time": install + 3600, "slots_per_day": 96}
    invalid = [
        (
            "base key of 31 bytes",
            ["BZ20-2"],
            ["key_length"],
            {"base_key": base_a[:62]},
            "legacy_invalid_key",
        ),
        (
            "base key of 33 bytes",
            ["BZ20-2"],
            ["key_length"],
            {"base_key": base_a + "00"},
            "legacy_invalid_key",
        ),
        ("0 slots per day", ["BZ20-4"], ["slots"], {"slots_per_day": 0}, "legacy_invalid_slots"),
        (
            "7 slots per day (no divisor of 86400)",
            ["BZ20-4"],
            ["slots"],
            {"slots_per_day": 7},
            "legacy_invalid_slots",
        ),
        (
            "2880 slots per day (above 1440)",
            ["BZ20-4"],
            ["slots", "boundary"],
            {"slots_per_day": 2880},
            "legacy_invalid_slots",
        ),
        (
            "install day one second after midnight",
            ["BZ20-4"],
            ["time_range"],
            {"install_day": install + 1},
            "legacy_invalid_time",
        ),
        (
            "time one second before the install day",
            ["BZ20-4"],
            ["time_range", "boundary"],
            {"time": install - 1},
            "legacy_invalid_time",
        ),
        (
            "time past 2^32-1",
            ["BZ20-4"],
            ["time_range", "boundary"],
            {"time": MAX_TIME + 1},
            "legacy_invalid_time",
        ),
        (
            "short key and bad slots: the key is checked first",
            ["BZ20-2", "BZ20-4"],
            ["key_length"],
            {"base_key": "00", "slots_per_day": 7},
            "legacy_invalid_key",
        ),
        (
            "bad slots and bad time: slots are checked first",
            ["BZ20-4"],
            ["slots"],
            {"slots_per_day": 7, "time": 0},
            "legacy_invalid_slots",
        ),
    ]
    for comment, spec, flags, change, error in invalid:
        group.add(comment, spec, flags, {**good, **change}, error=error)
    return group


def ad_group(captures: dict[str, Any]) -> Group:
    group = Group("Bz2020AdvertisementDecode", "the Android advertisement (BZ20-5..BZ20-8)", decode)
    rules = ["BZ20-5", "BZ20-6", "BZ20-7", "BZ20-8"]
    own = sorted({row[0].lower() for phone in captures["phones"] for row in phone["rows"]})
    body = MFR + bytes.fromhex(own[0])
    valid = [
        (
            f"this profile's encoding of captured BLID {b}",
            FLAGS + MFR + bytes.fromhex(b) + UUID_LIST,
            [],
        )
        for b in own
    ]
    valid += [
        ("no Flags", body + UUID_LIST, ["order"]),
        ("UUID list first", FLAGS + UUID_LIST + body, ["order"]),
        ("Flags value 0x06", bytes.fromhex("020106") + body + UUID_LIST, ["order"]),
        (
            "followed by zero padding to 31 octets",
            FLAGS + body + UUID_LIST + bytes(8),
            ["boundary"],
        ),
        (
            "UUID list with another UUID first",
            FLAGS + body + bytes.fromhex("05036ffd564e"),
            ["order"],
        ),
        (
            "Apple manufacturer data before ours",
            bytes.fromhex("05ff4c000215") + body + UUID_LIST,
            ["order"],
        ),
        ("a TX power structure after", body + UUID_LIST + bytes.fromhex("020a08"), ["order"]),
    ]
    for comment, ad, flags in valid:
        group.add(comment, rules, flags, {"ad": ad.hex()})
    blid = bytes.fromhex(own[0])
    invalid = [
        ("32 octets", FLAGS + body + UUID_LIST + bytes(9), ["ADV-4"], ["structure"], "ad_too_long"),
        (
            "cut one octet short",
            (FLAGS + body + UUID_LIST)[:-1],
            ["ADV-5"],
            ["structure"],
            "ad_truncated",
        ),
        ("manufacturer data cut", FLAGS + body[:-3], ["ADV-5"], ["structure"], "ad_truncated"),
        (
            "a nonzero octet after the zero length octet",
            body + UUID_LIST + bytes.fromhex("0001"),
            ["ADV-6"],
            ["structure"],
            "ad_nonzero_padding",
        ),
        (
            "Flags twice",
            FLAGS + FLAGS + body + UUID_LIST,
            ["ADV-7"],
            ["structure"],
            "ad_duplicate_structure",
        ),
        (
            "UUID list twice",
            UUID_LIST + body + UUID_LIST,
            ["ADV-7"],
            ["structure"],
            "ad_duplicate_structure",
        ),
        (
            "0x22B5 manufacturer data twice",
            bytes.fromhex("05ffb5220000") + body + UUID_LIST,
            ["ADV-7", "BZ20-6"],
            ["structure"],
            "ad_duplicate_structure",
        ),
        (
            "Flags of two octets",
            bytes.fromhex("03011a00") + body + UUID_LIST,
            ["ADV-8"],
            ["structure"],
            "ad_bad_flags",
        ),
        (
            "manufacturer data of one octet",
            bytes.fromhex("02ffb5") + body + UUID_LIST,
            ["BZ20-6"],
            ["structure"],
            "legacy_blid_length",
        ),
        ("no UUID list", FLAGS + body, ["BZ20-7"], [], "legacy_missing_service_uuid"),
        ("empty data", b"", ["BZ20-7"], ["boundary"], "legacy_missing_service_uuid"),
        (
            "UUID 0x4E56 written big-endian",
            FLAGS + body + bytes.fromhex("03034e56"),
            ["BZ20-7"],
            [],
            "legacy_missing_service_uuid",
        ),
        (
            "0x4E56 only in an Incomplete List",
            FLAGS + body + bytes.fromhex("0302564e"),
            ["BZ20-7"],
            [],
            "legacy_missing_service_uuid",
        ),
        (
            "UUID list of odd length",
            FLAGS + body + bytes.fromhex("0403564e00"),
            ["BZ20-7"],
            [],
            "legacy_missing_service_uuid",
        ),
        (
            "UUID 0x4E56 at an odd offset",
            FLAGS + body + bytes.fromhex("050300564e00"),
            ["BZ20-7"],
            [],
            "legacy_missing_service_uuid",
        ),
        (
            "the iOS form: local name Bluezone and the 128-bit service UUID, no BLID",
            bytes.fromhex("0201061107")
            + bytes.fromhex("00004e5673f54bc4a12f17d1ad07a667")[::-1]
            + bytes([9, 0x09])
            + b"Bluezone",
            ["BZ20-9", "BZ20-7"],
            ["ios_form"],
            "legacy_missing_service_uuid",
        ),
        (
            "a GAEN advertisement (section 2)",
            bytes.fromhex("02011a03036ffd17166ffd") + bytes(20),
            ["BZ20-7"],
            ["gaen"],
            "legacy_missing_service_uuid",
        ),
        (
            "no manufacturer data",
            FLAGS + UUID_LIST,
            ["BZ20-8"],
            [],
            "legacy_missing_manufacturer_data",
        ),
        (
            "another company's 12 octets",
            FLAGS + bytes.fromhex("0fff4c00") + blid + UUID_LIST,
            ["BZ20-8"],
            ["ios_leniency"],
            "legacy_missing_manufacturer_data",
        ),
        (
            "company id big-endian",
            FLAGS + bytes.fromhex("0fff22b5") + blid + UUID_LIST,
            ["BZ20-8"],
            ["ios_leniency"],
            "legacy_missing_manufacturer_data",
        ),
        (
            "a BLID of 11 octets",
            FLAGS + bytes.fromhex("0effb522") + blid[:11] + UUID_LIST,
            ["BZ20-8"],
            [],
            "legacy_blid_length",
        ),
        (
            "a BLID of 13 octets",
            FLAGS + bytes.fromhex("10ffb522") + blid + b"\x00" + UUID_LIST,
            ["BZ20-8"],
            [],
            "legacy_blid_length",
        ),
        (
            "no BLID at all",
            FLAGS + bytes.fromhex("03ffb522") + UUID_LIST,
            ["BZ20-8"],
            ["boundary"],
            "legacy_blid_length",
        ),
    ]
    for comment, ad, spec, flags, error in invalid:
        group.add(comment, spec, flags, {"ad": ad.hex()}, error=error)
    return group


def match_group(captures: dict[str, Any]) -> Group:
    group = Group("Bz2020Match", "legacy sightings against an F0 push (BZ20-10, BZ20-11)", match)
    rules = ["BZ20-10", "BZ20-11"]
    phone_a = captures["phones"][0]
    key = phone_a["base_id"].lower()
    start = phone_a["install_day"]

    def entry(end: int = start + 14 * DAY, slots: int = 96, daily: str = key, first: int = start):
        return {"daily_key": daily, "time_start": first, "time_end": end, "max": slots}

    def seen(day: int, slot: int, at: int = 0, slots: int = 96) -> dict[str, Any]:
        daily = bytes.fromhex(key)
        for _ in range(day):
            daily = sha(daily)
        length = DAY // slots
        return {"blid": blid(daily, slot).hex(), "time": start + day * DAY + slot * length + at}

    captured = {"blid": phone_a["rows"][0][0].lower(), "time": phone_a["rows"][0][1] // 1000}
    other = {"blid": "9c25df2d9861b31897ea3028", "time": captured["time"]}
    day2 = seen(2, 10, 300)
    cases = [
        (
            "phone A's captured BLID against its own daily key",
            [entry()],
            [other, captured],
            ["captured"],
        ),
        (
            "the same BLID one slot later",
            [entry()],
            [{**captured, "time": captured["time"] + 900}],
            ["exact_slot"],
        ),
        (
            "the same BLID one slot earlier",
            [entry()],
            [{**captured, "time": captured["time"] - 900}],
            ["exact_slot"],
        ),
        (
            "the first and the last second of the BLID's slot",
            [entry()],
            [seen(0, 47, 0), seen(0, 47, 899)],
            ["boundary"],
        ),
        (
            "one second past the BLID's slot",
            [entry()],
            [seen(0, 47, 900)],
            ["exact_slot", "boundary"],
        ),
        (
            "two days on: the daily key is hashed twice",
            [entry()],
            [day2, {**day2, "time": day2["time"] - DAY}],
            ["multi_day"],
        ),
        (
            "a slot that starts exactly at time_end is checked",
            [entry(end=day2["time"] - 300)],
            [day2],
            ["boundary", "multi_day"],
        ),
        (
            "a slot that starts after time_end is not",
            [entry(end=day2["time"] - 301)],
            [day2],
            ["boundary", "multi_day"],
        ),
        (
            "144 slots per day",
            [entry(slots=144)],
            [seen(1, 100, 30, 144), seen(1, 100, 30)],
            ["slots", "multi_day"],
        ),
        (
            "two entries, the second matches",
            [entry(daily="11" * 32), entry()],
            [captured, other],
            [],
        ),
        ("the same entry twice: both match", [entry(), entry()], [captured], []),
        ("a push with no entries", [], [captured], ["boundary"]),
        (
            "the app's sample push (time_end 1600000000)",
            [entry(end=1600000000)],
            [captured, seen(30, 95, 899)],
            ["multi_day"],
        ),
    ]
    for comment, entries, sightings, flags in cases:
        group.add(comment, rules, flags, {"push": {"data": entries}, "sightings": sightings})
    bad = [
        ("data is an object, not a list", {"data": entry()}, ["push_shape"], "legacy_invalid_push"),
        (
            "an entry without max",
            {"data": [{k: v for k, v in entry().items() if k != "max"}]},
            ["push_shape"],
            "legacy_invalid_push",
        ),
        (
            "time_start as a string",
            {"data": [{**entry(), "time_start": str(start)}]},
            ["push_shape"],
            "legacy_invalid_push",
        ),
        (
            "a daily key of 31 bytes",
            {"data": [entry(daily=key[:62])]},
            ["key_length"],
            "legacy_invalid_key",
        ),
        ("max 0", {"data": [entry(slots=0)]}, ["slots"], "legacy_invalid_slots"),
        (
            "max 97 (no divisor of 86400)",
            {"data": [entry(slots=97)]},
            ["slots"],
            "legacy_invalid_slots",
        ),
        (
            "time_start one second after midnight",
            {"data": [entry(first=start + 1)]},
            ["time_range"],
            "legacy_invalid_time",
        ),
        (
            "time_end before time_start",
            {"data": [entry(end=start - 1)]},
            ["time_range", "boundary"],
            "legacy_invalid_time",
        ),
        (
            "a good entry, then a bad one",
            {"data": [entry(), entry(slots=7)]},
            ["slots"],
            "legacy_invalid_slots",
        ),
    ]
    for comment, push, flags, error in bad:
        group.add(comment, ["BZ20-10"], flags, {"push": push, "sightings": [captured]}, error=error)
    return group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    captures = load_captures()
    rng = random.Random(f"{args.seed}/bluezone-2020.json")
    write_vector_file(
        args.out,
        "bluezone-2020.json",
        "Bluezone 2020 profile (appendix A1): BLID schedule, Android advertisement, F0 check",
        f"spec/tools/bluezone2020_vectors.py --seed {args.seed}",
        NOTES,
        [blid_group(captures, rng), ad_group(captures), match_group(captures)],
    )


if __name__ == "__main__":
    main()
