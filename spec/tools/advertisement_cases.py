"""Cases of spec/vectors/advertisement.json (spec section 2)."""

from __future__ import annotations

import random
from typing import Any

import reference_impl as ref
import upstream
from vectorfile import Group

NOTES = {
    "OfficialVector": "RPI and AEM of the GAEN official vector",
    "LiveDevice": "RPI and AEM reported from a production GAEN device",
    "ThirdParty": "RPI and AEM printed by an independent third-party implementation",
    "FullForm": "the 31-octet form with Flags",
    "NoFlagsForm": "the 28-octet form without Flags, as phones whose OS owns the flags send",
    "ZeroPadding": "zero octets after a zero length octet (the non-significant part)",
    "UnknownStructure": "an AD structure of a type the decoder does not read (ignored)",
    "MultipleUuids": "a UUID list holding another UUID besides 0xFD6F",
    "ReorderedStructures": "AD structures in an order other than ADV-1's",
    "FlagsValueIgnored": "a Flags value other than 0x1A (the value is not checked)",
    "PayloadEdge": "an RPI and AEM of all-zero or all-one octets",
    "TooLong": "more than 31 octets",
    "Truncated": "a valid form cut short",
    "LengthPastEnd": "a length octet that runs past the end of the data",
    "NonzeroPadding": "a nonzero octet after a zero length octet",
    "DuplicateStructure": "Flags, UUID list or 0xFD6F service data twice",
    "BadFlagsLength": "a Flags structure not holding exactly one octet",
    "MissingUuidList": "no Complete List of 16-bit Service UUIDs",
    "WrongUuid": "a UUID other than 0xFD6F where 0xFD6F belongs",
    "UuidByteOrder": "0xFD6F written big-endian (fd 6f) instead of little-endian (6f fd)",
    "MalformedUuidList": "a UUID list that is empty, of odd length, or misaligned",
    "WrongAdType": "the right content under the wrong AD type",
    "MissingServiceData": "no Service Data structure for 0xFD6F",
    "ServiceDataLength": "0xFD6F service data not exactly 20 octets after the UUID",
    "ShortServiceData": "a service data structure too short to hold a UUID",
    "CheckOrder": "several faults at once; section 2.4's check order decides the error",
}

FLAGS = "02011a"
UUIDS = "03036ffd"
SD_HEAD = "17166ffd"


def run_encode(i: dict[str, Any]) -> dict[str, Any]:
    ad = ref.encode_advertisement(bytes.fromhex(i["rpi"]), bytes.fromhex(i["aem"]), i["flags"])
    return {"ad": ad.hex()}


def run_decode(i: dict[str, Any]) -> dict[str, Any]:
    rpi, aem = ref.decode_advertisement(bytes.fromhex(i["ad"]))
    return {"rpi": rpi.hex(), "aem": aem.hex()}


def build(rng: random.Random) -> list[Group]:
    """All groups of the advertisement file, in file order."""
    payloads = [rng.randbytes(20).hex() for _ in range(3)]
    junk = rng.randbytes(40).hex()
    return [_encode(payloads), _decode_valid(payloads), _decode_invalid(payloads[0], junk)]


def _external() -> list[tuple[str, str, str, list[str], str]]:
    cases = []
    off = upstream.GAEN_OFFICIAL
    for j, rpi, aem in off.intervals:
        cases.append(
            (f"GAEN official interval {j}", rpi, aem or "", ["OfficialVector"], off.source)
        )
    for vec, flag in ((upstream.LIVE_DEVICE, "LiveDevice"), (upstream.THIRD_PARTY, "ThirdParty")):
        j, rpi, aem = vec.intervals[0]
        cases.append((f"{vec.name}, interval {j}", rpi, aem or "", [flag], vec.source))
    return cases


def _encode(payloads: list[str]) -> Group:
    g = Group("AdvertisementEncode", "the advertising data an encoder emits (ADV-1)", run_encode)
    cases = _external()
    cases += [
        ("RPI and AEM all zero", "00" * 16, "00" * 4, ["PayloadEdge"], "generated"),
        ("RPI and AEM all 0xff", "ff" * 16, "ff" * 4, ["PayloadEdge"], "generated"),
    ]
    cases += [("random RPI and AEM", p[:32], p[32:], [], "generated") for p in payloads[:2]]
    for name, rpi, aem, flags, source in cases:
        g.add(
            f"{name}: 31-octet form",
            ["ADV-1"],
            [*flags, "FullForm"],
            {"rpi": rpi, "aem": aem, "flags": True},
            source=source,
        )
        g.add(
            f"{name}: 28-octet form",
            ["ADV-1"],
            [*flags, "NoFlagsForm"],
            {"rpi": rpi, "aem": aem, "flags": False},
            source=source,
        )
    rpi, aem = payloads[2][:32], payloads[2][32:]
    for comment, inputs in [
        ("RPI of 15 octets", {"rpi": rpi[:30], "aem": aem, "flags": True}),
        ("RPI of 17 octets", {"rpi": rpi + "00", "aem": aem, "flags": False}),
        ("AEM of 3 octets", {"rpi": rpi, "aem": aem[:6], "flags": True}),
        ("AEM of 5 octets", {"rpi": rpi, "aem": aem + "00", "flags": False}),
    ]:
        g.add(
            f"{comment}: the service data would not be 20 octets",
            ["ADV-1", "ADV-11"],
            ["ServiceDataLength"],
            inputs,
            error="ad_service_data_length",
        )
    return g


def _decode_valid(payloads: list[str]) -> Group:
    g = Group(
        "AdvertisementDecode", "advertising data a decoder accepts (ADV-1, ADV-4..12)", run_decode
    )
    for name, rpi, aem, flags, source in _external():
        sd = SD_HEAD + rpi + aem
        g.add(
            f"{name}: 31-octet form",
            ["ADV-1"],
            [*flags, "FullForm"],
            {"ad": FLAGS + UUIDS + sd},
            expected={"rpi": rpi, "aem": aem},
            source=source,
        )
        g.add(
            f"{name}: 28-octet form",
            ["ADV-1"],
            [*flags, "NoFlagsForm"],
            {"ad": UUIDS + sd},
            expected={"rpi": rpi, "aem": aem},
            source=source,
        )
    sd = SD_HEAD + payloads[1]
    cases = [
        ("random payload, 31-octet form", FLAGS + UUIDS + sd, ["ADV-1"], ["FullForm"]),
        ("random payload, 28-octet form", UUIDS + sd, ["ADV-1"], ["NoFlagsForm"]),
        (
            "RPI and AEM all zero, 28-octet form",
            UUIDS + SD_HEAD + "00" * 20,
            ["ADV-1"],
            ["PayloadEdge"],
        ),
        (
            "RPI and AEM all 0xff, 31-octet form",
            FLAGS + UUIDS + SD_HEAD + "ff" * 20,
            ["ADV-1"],
            ["PayloadEdge"],
        ),
    ]
    for n in (1, 2, 3):
        cases.append(
            (
                f"28-octet form followed by {n} zero octet(s)",
                UUIDS + sd + "00" * n,
                ["ADV-6"],
                ["NoFlagsForm", "ZeroPadding"],
            )
        )
    cases += [
        (
            "RPI and AEM all zero, 28-octet form then 3 zero octets",
            UUIDS + SD_HEAD + "00" * 23,
            ["ADV-6"],
            ["PayloadEdge", "ZeroPadding"],
        ),
        (
            "Flags value 0x06 (LE General Discoverable, BR/EDR not supported)",
            "020106" + UUIDS + sd,
            ["ADV-8"],
            ["FlagsValueIgnored"],
        ),
        ("Flags value 0x00", "020100" + UUIDS + sd, ["ADV-8"], ["FlagsValueIgnored"]),
        ("Flags value 0xff", "0201ff" + UUIDS + sd, ["ADV-8"], ["FlagsValueIgnored"]),
        (
            "28-octet form then TX Power Level (type 0x0a, +8 dBm)",
            UUIDS + sd + "020a08",
            ["ADV-12"],
            ["UnknownStructure"],
        ),
        (
            "TX Power Level first, then the 28-octet form",
            "020a08" + UUIDS + sd,
            ["ADV-12"],
            ["UnknownStructure"],
        ),
        (
            "28-octet form then an empty Manufacturer Specific Data structure (01 ff)",
            UUIDS + sd + "01ff",
            ["ADV-12"],
            ["UnknownStructure"],
        ),
        (
            "28-octet form then an Incomplete List of 16-bit UUIDs (type 0x02, ignored)",
            UUIDS + sd + "0202aa",
            ["ADV-12"],
            ["UnknownStructure"],
        ),
        ("UUID list holding 0xFD6F then 0xFEAA", "05036ffdaafe" + sd, ["ADV-9"], ["MultipleUuids"]),
        ("UUID list holding 0xFEAA then 0xFD6F", "0503aafe6ffd" + sd, ["ADV-9"], ["MultipleUuids"]),
        ("service data before the UUID list", sd + UUIDS, ["ADV-1"], ["ReorderedStructures"]),
        ("service data, UUID list, Flags", sd + UUIDS + FLAGS, ["ADV-1"], ["ReorderedStructures"]),
        ("UUID list, Flags, service data", UUIDS + FLAGS + sd, ["ADV-1"], ["ReorderedStructures"]),
        ("service data, Flags, UUID list", sd + FLAGS + UUIDS, ["ADV-1"], ["ReorderedStructures"]),
    ]
    for comment, ad, spec, flags in cases:
        g.add(comment, spec, flags, {"ad": ad})
    return g


def _truncations(full: str, name: str) -> list[tuple[str, str, list[str], list[str], str]]:
    """Every proper prefix of a valid form, with the error the check order gives it."""
    cases = []
    size = len(full) // 2
    for n in range(1, size):
        ad = full[: 2 * n]
        try:
            ref.decode_advertisement(bytes.fromhex(ad))
        except ref.SpecError as error:
            code, rule = error.code, error.rule
        else:  # pragma: no cover - a prefix of a valid form is never valid
            raise AssertionError(f"prefix {ad} decodes")
        what = {
            "ad_truncated": "the last structure's length octet runs past the end",
            "ad_missing_service_uuid": "only Flags remain, no UUID list",
            "ad_missing_service_data": "the structures before the service data are whole",
        }[code]
        flags = ["Truncated", "LengthPastEnd"] if code == "ad_truncated" else ["Truncated"]
        cases.append((f"{name} cut to {n} of {size} octets: {what}", ad, [rule], flags, code))
    return cases


def _decode_invalid(payload: str, junk: str) -> Group:
    g = Group(
        "AdvertisementDecode",
        "advertising data a decoder rejects, one error each (check order of section 2.4)",
        run_decode,
    )
    sd = SD_HEAD + payload
    full, bare = FLAGS + UUIDS + sd, UUIDS + sd
    rpi, aem = payload[:32], payload[32:]
    cases: list[tuple[str, str, list[str], list[str], str]] = [
        # ADV-4
        (
            "31-octet form plus one zero octet: 32 octets",
            full + "00",
            ["ADV-4"],
            ["TooLong"],
            "ad_too_long",
        ),
        (
            "31-octet form plus TX Power Level: 34 octets",
            full + "020a08",
            ["ADV-4"],
            ["TooLong"],
            "ad_too_long",
        ),
        (
            "two 31-octet forms back to back: 62 octets",
            full + full,
            ["ADV-4"],
            ["TooLong"],
            "ad_too_long",
        ),
        ("40 random octets", junk, ["ADV-4"], ["TooLong"], "ad_too_long"),
        (
            "32 zero octets: the length is checked before the padding",
            "00" * 32,
            ["ADV-4", "ADV-6"],
            ["TooLong", "CheckOrder"],
            "ad_too_long",
        ),
        ("255 zero octets", "00" * 255, ["ADV-4"], ["TooLong"], "ad_too_long"),
        (
            "31-octet form with 21 octets of service data: 32 octets, too long before the "
            "service data length",
            FLAGS + UUIDS + "18166ffd" + payload + "00",
            ["ADV-4", "ADV-11"],
            ["TooLong", "CheckOrder"],
            "ad_too_long",
        ),
    ]
    cases += _truncations(full, "31-octet form")
    cases += _truncations(bare, "28-octet form")
    cases += [
        # ADV-5
        ("a single octet 0xff", "ff", ["ADV-5"], ["LengthPastEnd"], "ad_truncated"),
        (
            "28-octet form then a lone length octet 0xff",
            bare + "ff",
            ["ADV-5"],
            ["LengthPastEnd"],
            "ad_truncated",
        ),
        (
            "28-octet form then a structure of length 5 with 2 octets left",
            bare + "05ff00",
            ["ADV-5"],
            ["LengthPastEnd"],
            "ad_truncated",
        ),
        (
            "31-octet form whose service data length octet says 0x18 (one too many)",
            FLAGS + UUIDS + "18166ffd" + payload,
            ["ADV-5"],
            ["LengthPastEnd"],
            "ad_truncated",
        ),
        (
            "UUID list whose length octet says 0x1f",
            "1f036ffd" + sd,
            ["ADV-5"],
            ["LengthPastEnd"],
            "ad_truncated",
        ),
        # ADV-6
        (
            "28-octet form, zero length octet, then 0x01",
            bare + "0001",
            ["ADV-6"],
            ["NonzeroPadding"],
            "ad_nonzero_padding",
        ),
        (
            "28-octet form, zero length octet, 0x00, 0x01",
            bare + "000001",
            ["ADV-6"],
            ["NonzeroPadding"],
            "ad_nonzero_padding",
        ),
        (
            "28-octet form, zero length octet, 0xff 0xff",
            bare + "00ffff",
            ["ADV-6"],
            ["NonzeroPadding"],
            "ad_nonzero_padding",
        ),
        (
            "a zero length octet first, then 30 octets of the valid form",
            "00" + full[:60],
            ["ADV-6"],
            ["NonzeroPadding"],
            "ad_nonzero_padding",
        ),
        (
            "a zero length octet between the UUID list and the service data: what follows it "
            "is padding, and it is not zero",
            UUIDS + "00" + sd,
            ["ADV-6"],
            ["NonzeroPadding"],
            "ad_nonzero_padding",
        ),
        # ADV-7
        (
            "Flags twice, then the service data",
            FLAGS + FLAGS + sd,
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "Flags, service data, Flags",
            FLAGS + sd + FLAGS,
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "Flags 0x1a then Flags 0x06, then the UUID list",
            FLAGS + "020106" + UUIDS,
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "UUID list twice",
            UUIDS + UUIDS,
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "UUID list [0xFD6F] then UUID list [0xFEAA], then Flags",
            UUIDS + "0303aafe" + FLAGS,
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "0xFD6F service data, then a second, empty one",
            sd + "03166ffd",
            ["ADV-7"],
            ["DuplicateStructure"],
            "ad_duplicate_structure",
        ),
        (
            "an empty 0xFD6F service data, then the full one: duplicate before length",
            "03166ffd" + sd,
            ["ADV-7", "ADV-11"],
            ["DuplicateStructure", "CheckOrder"],
            "ad_duplicate_structure",
        ),
        # ADV-8
        (
            "Flags with no octet (length 1) before the 28-octet form",
            "0101" + bare,
            ["ADV-8"],
            ["BadFlagsLength"],
            "ad_bad_flags",
        ),
        (
            "28-octet form then Flags with no octet",
            bare + "0101",
            ["ADV-8"],
            ["BadFlagsLength"],
            "ad_bad_flags",
        ),
        (
            "Flags with two octets (length 3), then the service data",
            "03011a00" + sd,
            ["ADV-8"],
            ["BadFlagsLength"],
            "ad_bad_flags",
        ),
        (
            "Flags with two octets (length 3), then the UUID list",
            "03011a00" + UUIDS,
            ["ADV-8"],
            ["BadFlagsLength"],
            "ad_bad_flags",
        ),
        (
            "Flags with four octets (length 5), then the service data",
            "05011a000000" + sd,
            ["ADV-8"],
            ["BadFlagsLength"],
            "ad_bad_flags",
        ),
        # ADV-9
        ("empty advertising data", "", ["ADV-9"], ["MissingUuidList"], "ad_missing_service_uuid"),
        (
            "31 zero octets",
            "00" * 31,
            ["ADV-9"],
            ["MissingUuidList", "ZeroPadding"],
            "ad_missing_service_uuid",
        ),
        (
            "Flags and service data, no UUID list",
            FLAGS + sd,
            ["ADV-9"],
            ["MissingUuidList"],
            "ad_missing_service_uuid",
        ),
        ("service data alone", sd, ["ADV-9"], ["MissingUuidList"], "ad_missing_service_uuid"),
        (
            "UUID list [0xFEAA] instead of [0xFD6F]",
            "0303aafe" + sd,
            ["ADV-9"],
            ["WrongUuid"],
            "ad_missing_service_uuid",
        ),
        (
            "UUID list with 0xFD6F big-endian (fd 6f)",
            "0303fd6f" + sd,
            ["ADV-9"],
            ["UuidByteOrder"],
            "ad_missing_service_uuid",
        ),
        (
            "empty UUID list (length 1)",
            "0103" + sd,
            ["ADV-9"],
            ["MalformedUuidList"],
            "ad_missing_service_uuid",
        ),
        (
            "UUID list of one octet (6f)",
            "02036f" + sd,
            ["ADV-9"],
            ["MalformedUuidList"],
            "ad_missing_service_uuid",
        ),
        (
            "UUID list of three octets (6f fd 00)",
            "04036ffd00" + sd,
            ["ADV-9"],
            ["MalformedUuidList"],
            "ad_missing_service_uuid",
        ),
        (
            "UUID list 00 6f fd 00: 0xFD6F only across a UUID boundary",
            "0503006ffd00" + sd,
            ["ADV-9"],
            ["MalformedUuidList"],
            "ad_missing_service_uuid",
        ),
        (
            "0xFD6F in an Incomplete List of 16-bit UUIDs (type 0x02)",
            "03026ffd" + sd,
            ["ADV-9", "ADV-12"],
            ["WrongAdType"],
            "ad_missing_service_uuid",
        ),
        (
            "0x0000FD6F in a Complete List of 32-bit UUIDs (type 0x05)",
            "05056ffd0000" + sd,
            ["ADV-9", "ADV-12"],
            ["WrongAdType"],
            "ad_missing_service_uuid",
        ),
        # ADV-10
        (
            "service data for UUID 0xFEAA instead of 0xFD6F",
            UUIDS + "1716aafe" + payload,
            ["ADV-10"],
            ["WrongUuid", "MissingServiceData"],
            "ad_missing_service_data",
        ),
        (
            "service data UUID big-endian (fd 6f)",
            UUIDS + "1716fd6f" + payload,
            ["ADV-10"],
            ["UuidByteOrder", "MissingServiceData"],
            "ad_missing_service_data",
        ),
        (
            "RPI and AEM as Service Data-32-bit UUID (type 0x20)",
            UUIDS + "19206ffd0000" + payload,
            ["ADV-10", "ADV-12"],
            ["WrongAdType", "MissingServiceData"],
            "ad_missing_service_data",
        ),
        (
            "RPI and AEM as Manufacturer Specific Data (type 0xff)",
            FLAGS + UUIDS + "17ff6ffd" + payload,
            ["ADV-10", "ADV-12"],
            ["WrongAdType", "MissingServiceData"],
            "ad_missing_service_data",
        ),
        # ADV-11
        (
            "service data with 19 octets (AEM one short)",
            UUIDS + "16166ffd" + payload[:38],
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "31-octet form shape with 19 octets of service data",
            FLAGS + UUIDS + "16166ffd" + payload[:38],
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "service data with 21 octets",
            UUIDS + "18166ffd" + payload + "00",
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "service data holding the UUID only",
            UUIDS + "03166ffd",
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "service data holding the RPI only (16 octets)",
            UUIDS + "13166ffd" + rpi,
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "service data holding the AEM only (4 octets)",
            UUIDS + "07166ffd" + aem,
            ["ADV-11"],
            ["ServiceDataLength"],
            "ad_service_data_length",
        ),
        (
            "28-octet form then a service data structure with one octet (02 16 6f)",
            bare + "02166f",
            ["ADV-11"],
            ["ShortServiceData"],
            "ad_service_data_length",
        ),
        (
            "a service data structure with no octet (01 16) before the 28-octet form",
            "0116" + bare,
            ["ADV-11"],
            ["ShortServiceData"],
            "ad_service_data_length",
        ),
        # check order
        (
            "Flags twice, then a length octet past the end: the first fault met wins",
            FLAGS + FLAGS + "17",
            ["ADV-5", "ADV-7"],
            ["CheckOrder"],
            "ad_duplicate_structure",
        ),
        (
            "Flags of length 1, then nonzero octets after a zero length octet",
            "0101" + "0001",
            ["ADV-6", "ADV-8"],
            ["CheckOrder"],
            "ad_bad_flags",
        ),
        (
            "a short service data structure and no UUID list: the walk finds it first",
            "02166f" + FLAGS,
            ["ADV-9", "ADV-11"],
            ["CheckOrder", "ShortServiceData"],
            "ad_service_data_length",
        ),
        (
            "wrong UUID list and 19-octet service data: the UUID list is checked first",
            "0303aafe" + "16166ffd" + payload[:38],
            ["ADV-9", "ADV-11"],
            ["CheckOrder", "WrongUuid"],
            "ad_missing_service_uuid",
        ),
        (
            "no UUID list and no service data",
            FLAGS + "020a08",
            ["ADV-9", "ADV-10"],
            ["CheckOrder", "MissingUuidList"],
            "ad_missing_service_uuid",
        ),
    ]
    for comment, ad, spec, flags, error in cases:
        g.add(comment, spec, flags, {"ad": ad}, error=error)
    return g
