"""Cases of spec/vectors/key-schedule.json (spec section 1)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import reference_impl as ref
import upstream
from vectorfile import Group

MAX = ref.MAX_INTERVAL
NOTES = {
    "OfficialVector": "the Google/Apple test vector published with the GAEN v1.2 specifications",
    "LiveDevice": "values reported from a production GAEN device",
    "ThirdParty": "values printed by an independent third-party implementation",
    "RpikOnly": "an external vector of the RPIK-to-RPI step alone (no HKDF)",
    "EdgeInterval": "the smallest or largest interval number (0, 2^32-1) or a byte-order probe",
    "WrongLength": "a byte string one of whose lengths the rule forbids",
    "OutOfRange": "an integer outside the range the rule allows",
    "Overflow": "a key whose last interval would pass 2^32-1",
    "RollingPeriodEdge": "rolling period 1 or 144",
    "UnalignedStart": "a rolling start that is not a multiple of 144 (allowed at receivers)",
    "TxPowerEdge": "TX power at the ends of the signed byte (-128, +127)",
    "VersionNibble": "one of the 16 values of the version nibble (major and minor)",
    "CalibrationConfidence": "one of the four calibration confidence values",
    "ReservedBitsSet": "reserved bits or bytes set; receivers ignore them",
    "CheckOrder": "several faults at once; the rules' check order decides the error",
    "MidnightKey": "a key started at UTC midnight",
    "MidDayKey": "a key started mid-day (re-key after a report)",
    "EmbargoEdge": "the first interval at which a key may be used, or the one before",
}


def _hex(data: bytes) -> str:
    return data.hex()


def _b(inputs: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(inputs[name])


def run_key_derivation(i: dict[str, Any]) -> dict[str, Any]:
    tek = _b(i, "tek")
    return {"rpik": _hex(ref.derive_rpik(tek)), "aemk": _hex(ref.derive_aemk(tek))}


def run_rpi_derivation(i: dict[str, Any]) -> dict[str, Any]:
    tek = _b(i, "tek")
    ref.check_key_bytes(tek)
    rpi = ref.derive_rpi(tek, i["interval"])
    return {"padded_data": _hex(ref.padded_data(i["interval"])), "rpi": _hex(rpi)}


def run_rpi_from_rpik(i: dict[str, Any]) -> dict[str, Any]:
    return {"rpi": _hex(ref.rpi_from_rpik(_b(i, "rpik"), i["interval"]))}


def run_aem_encryption(i: dict[str, Any]) -> dict[str, Any]:
    tek, metadata = _b(i, "tek"), _b(i, "metadata")
    ref.check_key_bytes(tek)
    if len(metadata) != 4:
        raise ref.SpecError("invalid_metadata", "KS-9")
    rpi = ref.derive_rpi(tek, i["interval"])
    return {"rpi": _hex(rpi), "aem": _hex(ref.encrypt_aem(tek, rpi, metadata))}


def run_interval_number(i: dict[str, Any]) -> dict[str, Any]:
    return {"interval": ref.interval_number(i["unix_seconds"])}


def run_metadata_decode(i: dict[str, Any]) -> dict[str, Any]:
    m = ref.decode_metadata(_b(i, "metadata"))
    return {
        "major": m.major,
        "minor": m.minor,
        "calibration_confidence": m.calibration_confidence,
        "tx_power": m.tx_power,
    }


def run_key_validity(i: dict[str, Any]) -> dict[str, Any]:
    ref.check_key(_b(i, "key"), i["rolling_start"], i["rolling_period"])
    return {}


def run_new_key(i: dict[str, Any]) -> dict[str, Any]:
    start, period = ref.new_key_period(i["interval"])
    return {"rolling_start": start, "rolling_period": period}


def run_embargo(i: dict[str, Any]) -> dict[str, Any]:
    ref.check_embargo(i["rolling_start"], i["rolling_period"], i["now_interval"])
    return {}


def build(rng: random.Random) -> list[Group]:
    """All groups of the key-schedule file, in file order."""
    teks = [rng.randbytes(16).hex() for _ in range(4)]
    return [
        _key_derivation(teks),
        _rpi_derivation(teks),
        _rpi_from_rpik(),
        _aem_encryption(teks),
        _interval_number(),
        _metadata_decode(),
        _key_validity(teks),
        _new_key(),
        _embargo(),
    ]


EXTERNAL = (
    (upstream.GAEN_OFFICIAL, ["OfficialVector"]),
    (upstream.LIVE_DEVICE, ["LiveDevice"]),
    (upstream.THIRD_PARTY, ["ThirdParty"]),
)


def _key_derivation(teks: list[str]) -> Group:
    g = Group("KeyDerivation", "RPIK and AEMK from a TEK (KS-5, KS-7)", run_key_derivation)
    for vec, flags in EXTERNAL:
        g.add(
            f"{vec.name}: RPIK and AEMK",
            ["KS-5", "KS-7"],
            flags,
            {"tek": vec.tek},
            expected={"rpik": vec.rpik, "aemk": vec.aemk},
            source=vec.source,
        )
    g.add("TEK of 16 zero bytes", ["KS-5", "KS-7"], [], {"tek": "00" * 16})
    g.add("TEK of 16 0xff bytes", ["KS-5", "KS-7"], [], {"tek": "ff" * 16})
    for tek in teks[:2]:
        g.add("random TEK", ["KS-5", "KS-7"], [], {"tek": tek})
    for n in (0, 15, 17, 32):
        g.add(
            f"TEK of {n} bytes",
            ["KS-1"],
            ["WrongLength"],
            {"tek": teks[0][: 2 * n] if n <= 16 else (teks[0] * 2)[: 2 * n]},
            error="invalid_key",
        )
    return g


def _official_intervals() -> range:
    start = upstream.GAEN_OFFICIAL_START
    return range(start, start + upstream.GAEN_OFFICIAL_PERIOD)


def _check_official_digest() -> None:
    tek = bytes.fromhex(upstream.GAEN_OFFICIAL.tek or "")
    metadata = bytes.fromhex(upstream.GAEN_OFFICIAL.metadata or "")
    digest = hashlib.sha256()
    for j in _official_intervals():
        rpi = ref.derive_rpi(tek, j)
        digest.update(rpi + ref.encrypt_aem(tek, rpi, metadata))
    if digest.hexdigest() != upstream.GAEN_OFFICIAL_DIGEST:
        raise AssertionError("official GAEN vector: recomputed list differs from upstream")


def _published(vec: upstream.UpstreamVector, interval: int) -> dict[str, str]:
    for j, rpi, aem in vec.intervals:
        if j == interval:
            return {"rpi": rpi} | ({"aem": aem} if aem else {})
    return {}


def _rpi_derivation(teks: list[str]) -> Group:
    _check_official_digest()
    g = Group(
        "RpiDerivation",
        "PaddedData and RPI of a TEK for one interval (KS-5, KS-6)",
        run_rpi_derivation,
    )
    vec = upstream.GAEN_OFFICIAL
    for index, j in enumerate(_official_intervals()):
        g.add(
            f"GAEN official vector, interval {index} of 144 (ENIntervalNumber {j})",
            ["KS-5", "KS-6"],
            ["OfficialVector"],
            {"tek": vec.tek, "interval": j},
            expected={"rpi": _published(vec, j)["rpi"]} if _published(vec, j) else None,
            source=vec.source,
        )
    for vec, flags in EXTERNAL[1:]:
        for j, rpi, _ in vec.intervals:
            g.add(
                f"{vec.name}: interval {j}",
                ["KS-5", "KS-6"],
                flags,
                {"tek": vec.tek, "interval": j},
                expected={"rpi": rpi},
                source=vec.source,
            )
    edges = [
        (0, "interval 0"),
        (1, "interval 1"),
        (0x01020304, "interval 0x01020304: PaddedData ends 04 03 02 01 (little-endian)"),
        (2**31, "interval 2^31: the top bit is not a sign"),
        (MAX - 1, "interval 2^32-2"),
        (MAX, "interval 2^32-1, the last"),
    ]
    for j, comment in edges:
        g.add(comment, ["KS-2", "KS-6"], ["EdgeInterval"], {"tek": teks[0], "interval": j})
    g.add(
        "interval -1",
        ["KS-2"],
        ["OutOfRange"],
        {"tek": teks[0], "interval": -1},
        error="invalid_interval",
    )
    g.add(
        "interval 2^32",
        ["KS-2"],
        ["OutOfRange"],
        {"tek": teks[0], "interval": 2**32},
        error="invalid_interval",
    )
    g.add(
        "TEK of 15 bytes",
        ["KS-1"],
        ["WrongLength"],
        {"tek": teks[0][:30], "interval": 2642976},
        error="invalid_key",
    )
    return g


def _rpi_from_rpik() -> Group:
    g = Group("RpiFromRpik", "RPI from an RPIK directly, without HKDF (KS-6)", run_rpi_from_rpik)
    vec = upstream.CORONA_SNIFFER
    for j, rpi, _ in vec.intervals:
        g.add(
            f"{vec.name}: interval {j}",
            ["KS-6"],
            ["RpikOnly"],
            {"rpik": vec.rpik, "interval": j},
            expected={"rpi": rpi},
            source=vec.source,
        )
    off = upstream.GAEN_OFFICIAL
    for j, rpi, _ in off.intervals:
        g.add(
            f"GAEN official RPIK, interval {j}",
            ["KS-6"],
            ["OfficialVector"],
            {"rpik": off.rpik, "interval": j},
            expected={"rpi": rpi},
            source=off.source,
        )
    g.add(
        "GAEN official RPIK, interval 2^32-1",
        ["KS-2", "KS-6"],
        ["EdgeInterval"],
        {"rpik": off.rpik, "interval": MAX},
    )
    for n in (15, 17):
        g.add(
            f"RPIK of {n} bytes",
            ["KS-6"],
            ["WrongLength"],
            {"rpik": (off.rpik * 2)[: 2 * n], "interval": 0},
            error="invalid_key",
        )
    g.add(
        "interval -1",
        ["KS-2"],
        ["OutOfRange"],
        {"rpik": off.rpik, "interval": -1},
        error="invalid_interval",
    )
    return g


def _aem_encryption(teks: list[str]) -> Group:
    g = Group(
        "AemEncryption", "RPI and AEM of a TEK, interval and metadata (KS-8)", run_aem_encryption
    )
    vec = upstream.GAEN_OFFICIAL
    for index, j in enumerate(_official_intervals()):
        g.add(
            f"GAEN official vector, interval {index} of 144, metadata 40080000 (v1.0, +8 dBm)",
            ["KS-6", "KS-8"],
            ["OfficialVector"],
            {"tek": vec.tek, "interval": j, "metadata": vec.metadata},
            expected=_published(vec, j) or None,
            source=vec.source,
        )
    for vec, flags in EXTERNAL[1:]:
        for j, rpi, aem in vec.intervals:
            g.add(
                f"{vec.name}: interval {j}, metadata {vec.metadata}",
                ["KS-6", "KS-8"],
                flags,
                {"tek": vec.tek, "interval": j, "metadata": vec.metadata},
                expected={"rpi": rpi, "aem": aem},
                source=vec.source,
            )
    tek, j = teks[1], 2642976 + 77

    def add(comment: str, metadata: str, flags: list[str], interval: int = j) -> None:
        g.add(
            comment,
            ["KS-8", "KS-9"],
            flags,
            {"tek": tek, "interval": interval, "metadata": metadata},
        )

    add("TX power -128 dBm", "40800000", ["TxPowerEdge"])
    add("TX power +127 dBm", "407f0000", ["TxPowerEdge"])
    for nibble in range(16):
        add(
            f"version nibble {nibble:x} (major {nibble >> 2}, minor {nibble & 3}): "
            "the AEM operation does not interpret the metadata",
            f"{nibble << 4:02x}080000",
            ["VersionNibble"],
        )
    for confidence in range(4):
        add(
            f"calibration confidence {confidence}",
            f"{0x40 | confidence << 2:02x}f60000",
            ["CalibrationConfidence"],
        )
    add("reserved bits and bytes set", "43f6ffff", ["ReservedBitsSet"])
    add("interval 0", "40080000", ["EdgeInterval"], 0)
    add("interval 2^32-1", "40080000", ["EdgeInterval"], MAX)
    for n in (0, 3, 5):
        g.add(
            f"metadata of {n} bytes",
            ["KS-9"],
            ["WrongLength"],
            {"tek": tek, "interval": j, "metadata": "40080000ff"[: 2 * n]},
            error="invalid_metadata",
        )
    return g


def _interval_number() -> Group:
    g = Group(
        "IntervalNumber", "ENIntervalNumber of a unix time in seconds (KS-2)", run_interval_number
    )
    cases = [
        (0, "the epoch"),
        (599, "last second of interval 0"),
        (600, "first second of interval 1"),
        (601, "interval 1 (corona-sniffer's second time)"),
        (upstream.GAEN_OFFICIAL_UNIX_SECONDS, "the official key's generation time (2020-04-02)"),
        (upstream.GAEN_OFFICIAL_UNIX_SECONDS + 599, "last second of the official key's interval"),
        (2**32 * 600 - 1, "last second of interval 2^32-1"),
    ]
    for seconds, comment in cases:
        g.add(
            comment,
            ["KS-2", "CONV-3"],
            ["EdgeInterval"] if seconds in (0, 2**32 * 600 - 1) else [],
            {"unix_seconds": seconds},
        )
    for seconds, comment in [
        (-1, "one second before the epoch"),
        (-600, "one interval before the epoch"),
        (2**32 * 600, "first second of interval 2^32 (past the uint32 range)"),
        (2**32 * 600 + 1, "past the uint32 range"),
        (2**63, "2^63 seconds"),
    ]:
        g.add(
            comment,
            ["KS-2"],
            ["OutOfRange"],
            {"unix_seconds": seconds},
            error="invalid_interval",
        )
    return g


def _metadata_decode() -> Group:
    g = Group(
        "MetadataDecode",
        "metadata fields as a receiver reads them (KS-9, KS-10)",
        run_metadata_decode,
    )
    for nibble in range(16):
        major, minor = nibble >> 2, nibble & 3
        metadata = f"{nibble << 4:02x}080000"
        comment = f"version nibble {nibble:x}: major {major}, minor {minor}"
        if major == 1:
            g.add(
                comment + " (minor version ignored)",
                ["KS-9", "KS-10"],
                ["VersionNibble"],
                {"metadata": metadata},
            )
        else:
            g.add(
                comment + ": only major 1 is understood",
                ["KS-10"],
                ["VersionNibble"],
                {"metadata": metadata},
                error="unsupported_version",
            )
    for confidence in range(4):
        g.add(
            f"calibration confidence {confidence}",
            ["KS-9"],
            ["CalibrationConfidence"],
            {"metadata": f"{0x40 | confidence << 2:02x}080000"},
        )
    for metadata, comment in [
        ("41080000", "reserved bit 0 of byte 0 set"),
        ("42080000", "reserved bit 1 of byte 0 set"),
        ("4008ff00", "reserved byte 2 set"),
        ("400800ff", "reserved byte 3 set"),
        ("7fffffff", "every bit but the major version set: major 1, minor 3, confidence 3, -1 dBm"),
    ]:
        g.add(
            comment + "; receivers ignore reserved bits",
            ["KS-9", "KS-10"],
            ["ReservedBitsSet"],
            {"metadata": metadata},
        )
    for metadata, comment, flags in [
        ("40800000", "TX power -128 dBm (0x80)", ["TxPowerEdge"]),
        ("407f0000", "TX power +127 dBm (0x7f)", ["TxPowerEdge"]),
        ("40ff0000", "TX power -1 dBm (0xff)", []),
        ("40000000", "TX power 0 dBm", []),
        ("40080000", "the official vector's metadata: v1.0, +8 dBm", ["OfficialVector"]),
        ("40f20000", "the live device's metadata: v1.0, -14 dBm", ["LiveDevice"]),
    ]:
        source = {
            "OfficialVector": upstream.GAEN_OFFICIAL.source,
            "LiveDevice": upstream.LIVE_DEVICE.source,
        }.get(flags[0] if flags else "", "generated")
        g.add(comment, ["KS-9"], flags, {"metadata": metadata}, source=source)
    for metadata in ["", "40", "400800", "4008000000", "40080000" * 4]:
        g.add(
            f"metadata of length {len(metadata) // 2}",
            ["KS-9"],
            ["WrongLength"],
            {"metadata": metadata},
            error="invalid_metadata",
        )
    g.add(
        "3 bytes with major version 0: the length is checked first",
        ["KS-9", "KS-10"],
        ["WrongLength", "CheckOrder"],
        {"metadata": "000800"},
        error="invalid_metadata",
    )
    return g


def _key_validity(teks: list[str]) -> Group:
    g = Group(
        "KeyValidity", "a key record as a receiver checks it (KS-1, KS-2, KS-4)", run_key_validity
    )
    key, aligned = teks[2], 2642976
    for start, period, comment, flags in [
        (aligned, 144, "aligned start, full day", ["RollingPeriodEdge"]),
        (aligned, 1, "rolling period 1", ["RollingPeriodEdge"]),
        (aligned, 143, "rolling period 143", []),
        (
            aligned + 43,
            101,
            "start mid-day (re-keyed), period to the next midnight",
            ["UnalignedStart"],
        ),
        (
            aligned + 1,
            144,
            "unaligned start with period 144: receivers check only the range",
            ["UnalignedStart"],
        ),
        (0, 144, "rolling start 0", ["EdgeInterval"]),
        (MAX - 143, 144, "last interval exactly 2^32-1", ["EdgeInterval"]),
        (MAX, 1, "rolling start 2^32-1, period 1", ["EdgeInterval"]),
    ]:
        g.add(
            comment,
            ["KS-1", "KS-4"],
            flags,
            {"key": key, "rolling_start": start, "rolling_period": period},
        )
    for n in (0, 15, 17, 32):
        g.add(
            f"key data of {n} bytes",
            ["KS-1"],
            ["WrongLength"],
            {"key": (key * 2)[: 2 * n], "rolling_start": aligned, "rolling_period": 144},
            error="invalid_key",
        )
    for period in (0, 145, -1, 256):
        g.add(
            f"rolling period {period}",
            ["KS-4"],
            ["OutOfRange"],
            {"key": key, "rolling_start": aligned, "rolling_period": period},
            error="invalid_rolling_period",
        )
    for start, period in [(MAX - 142, 144), (MAX, 2)]:
        g.add(
            f"rolling start {start}, period {period}: last interval past 2^32-1",
            ["KS-4"],
            ["Overflow"],
            {"key": key, "rolling_start": start, "rolling_period": period},
            error="invalid_rolling_period",
        )
    for start in (-1, 2**32):
        g.add(
            f"rolling start {start}",
            ["KS-2"],
            ["OutOfRange"],
            {"key": key, "rolling_start": start, "rolling_period": 1},
            error="invalid_interval",
        )
    g.add(
        "15-byte key and period 0: the key length is checked first",
        ["KS-1", "KS-4"],
        ["CheckOrder"],
        {"key": key[:30], "rolling_start": aligned, "rolling_period": 0},
        error="invalid_key",
    )
    g.add(
        "rolling start -1 and period 0: the start is checked before the period",
        ["KS-2", "KS-4"],
        ["CheckOrder"],
        {"key": key, "rolling_start": -1, "rolling_period": 0},
        error="invalid_interval",
    )
    return g


def _new_key() -> Group:
    g = Group(
        "NewKey", "rolling start and period of a key a device starts (KS-3, KS-4)", run_new_key
    )
    day = 2642976
    last_midnight = (MAX // 144) * 144
    for interval, comment, flags in [
        (day, "UTC midnight: a full day", ["MidnightKey", "RollingPeriodEdge"]),
        (0, "interval 0 is a midnight", ["MidnightKey", "EdgeInterval"]),
        (day + 1, "one interval after midnight", ["MidDayKey"]),
        (day + 43, "re-key after a report at 07:10 UTC", ["MidDayKey"]),
        (
            day + 143,
            "re-key in the last interval of the day: period 1",
            ["MidDayKey", "RollingPeriodEdge"],
        ),
        (last_midnight - 144, "the last UTC midnight with a whole day in range", ["MidnightKey"]),
        (
            last_midnight - 1,
            "the last interval from which a key fits in range",
            ["MidDayKey", "RollingPeriodEdge"],
        ),
    ]:
        g.add(comment, ["KS-3", "KS-4"], flags, {"interval": interval})
    for interval, comment in [
        (last_midnight, "the last UTC midnight: its day would run past 2^32-1"),
        (MAX, "interval 2^32-1: the key would run past 2^32-1"),
    ]:
        g.add(
            comment,
            ["KS-4"],
            ["Overflow"],
            {"interval": interval},
            error="invalid_rolling_period",
        )
    for interval in (-1, 2**32):
        g.add(
            f"interval {interval}",
            ["KS-2"],
            ["OutOfRange"],
            {"interval": interval},
            error="invalid_interval",
        )
    return g


def _embargo() -> Group:
    g = Group("Embargo", "when a key may be uploaded, published or matched (KS-12)", run_embargo)
    day = 2642976
    for start, period, comment in [
        (day, 144, "full-day key"),
        (day, 1, "rolling period 1"),
        (day, 43, "key cut by a report after 43 intervals (KS-13)"),
        (0, 1, "key at interval 0"),
    ]:
        end = start + period
        g.add(
            f"{comment}: now = start + period + 12, the first allowed interval",
            ["KS-12"],
            ["EmbargoEdge"],
            {"rolling_start": start, "rolling_period": period, "now_interval": end + 12},
        )
        g.add(
            f"{comment}: now = start + period + 11, one interval early",
            ["KS-12"],
            ["EmbargoEdge"],
            {"rolling_start": start, "rolling_period": period, "now_interval": end + 11},
            error="embargoed_key",
        )
    g.add(
        "full-day key, still being broadcast",
        ["KS-12"],
        [],
        {"rolling_start": day, "rolling_period": 144, "now_interval": day + 100},
        error="embargoed_key",
    )
    g.add(
        "full-day key, 13 days later",
        ["KS-12"],
        [],
        {"rolling_start": day, "rolling_period": 144, "now_interval": day + 13 * 144},
    )
    g.add(
        "key ending at 2^32-1 can never leave its embargo",
        ["KS-12"],
        ["EdgeInterval"],
        {"rolling_start": MAX, "rolling_period": 1, "now_interval": MAX},
        error="embargoed_key",
    )
    return g
