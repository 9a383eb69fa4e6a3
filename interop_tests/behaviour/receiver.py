"""Behaviour of the receiver's ops: interval numbers, metadata, the exposure check of a day.

Expectations come from the rules alone: an interval is floor(t / 600) (KS-2); metadata
fields sit where KS-9 puts them and only major version 1 is read (KS-10); a check at
``now`` matches a key's sighting only once its embargo is over (MATCH-8), within 14 days
(MATCH-6) and with plausible TX power (MATCH-7). Sightings are built from the adapter's own
``rpi`` and ``aem_encrypt`` answers, never from a second implementation.
"""

from __future__ import annotations

from typing import Any

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, InteropTest, behaviour

_INTERVAL_S = 600
_DAY = 144
_EMBARGO = 12
_RETENTION = 14 * _DAY
_FIRST_DAY, _LAST_DAY = 18_000, 20_400


@behaviour(
    "receiver/interval-number",
    ("KS-2",),
    ("interval_number",),
    "random times, and the first and last second of random intervals, give floor(t / 600)",
)
def interval_number(ctx: Context) -> None:
    for _ in range(16):
        interval = ctx.rng.randrange(0, 2**32)
        second = ctx.rng.choice((0, _INTERVAL_S - 1, ctx.rng.randrange(_INTERVAL_S)))
        unix = interval * _INTERVAL_S + second
        ctx.expect_equal(
            "interval_number", {"unix_seconds": unix}, {"interval": interval}, f"t = {unix} s"
        )


def _metadata_fields(octets: bytes) -> dict[str, int]:
    """The fields KS-9 places in metadata octets."""
    first = octets[0]
    return {
        "major": first >> 6,
        "minor": (first >> 4) & 3,
        "calibration_confidence": (first >> 2) & 3,
        "tx_power": octets[1] - 256 if octets[1] > 127 else octets[1],
    }


@behaviour(
    "receiver/metadata-fields",
    ("KS-9", "KS-10"),
    ("metadata_decode",),
    "random metadata: major version 1 decodes field by field, any other major is refused",
)
def metadata_fields(ctx: Context) -> None:
    for _ in range(24):
        octets = bytearray(ctx.rng.randbytes(4))
        fields = _metadata_fields(bytes(octets))
        params = {"metadata": octets.hex()}
        if fields["major"] == 1:
            ctx.expect_equal("metadata_decode", params, fields, f"metadata {octets.hex()}")
        else:
            ctx.expect_error("metadata_decode", params, f"major version {fields['major']}")


def _scene(ctx: Context, tx_power: int = -10, major: int = 1) -> tuple[dict[str, Any], ...]:
    """A full-day key and one sighting of its RPI in mid-day with the adapter's own AEM."""
    tek = ctx.random_bytes(16)
    start = ctx.rng.randrange(_FIRST_DAY, _LAST_DAY) * _DAY
    interval = start + ctx.rng.randrange(_DAY)
    rpi = ctx.prerequisite("rpi", {"tek": tek, "interval": interval})["rpi"]
    metadata = bytes([major << 6, tx_power & 0xFF, 0, 0]).hex()
    params = {"tek": tek, "rpi": rpi, "metadata": metadata}
    aem = ctx.prerequisite("aem_encrypt", params)["aem"]
    key = {"key": tek, "rolling_start": start, "rolling_period": _DAY}
    return key, {"rpi": rpi, "interval": interval, "aem": aem}


def _check(ctx: Context, key: dict, sighting: dict, now: int, expected: dict, why: str) -> None:
    params = {"keys": [key], "sightings": [sighting], "now_interval": now}
    full = {"matches": [], "rejected_keys": [], "discarded_sightings": [], **expected}
    ctx.expect_equal("check_exposures", params, full, why)


_MATCH = {"matches": [{"key_index": 0, "sighting_index": 0}]}
_CHECK_OPS = ("rpi", "aem_encrypt", "check_exposures")


@behaviour(
    "receiver/embargo-edge",
    ("MATCH-8", "KS-12"),
    _CHECK_OPS,
    "a key checked one interval before its embargo ends is rejected, at its end it matches",
)
def embargo_edge(ctx: Context) -> None:
    key, sighting = _scene(ctx)
    end = key["rolling_start"] + key["rolling_period"] + _EMBARGO
    rejected = {"rejected_keys": [{"key_index": 0, "error": "embargoed_key"}]}
    _check(ctx, key, sighting, end - 1, rejected, "one interval early")
    _check(ctx, key, sighting, end, _MATCH, "the first interval after the embargo")


@behaviour(
    "receiver/retention-edge",
    ("MATCH-6",),
    _CHECK_OPS,
    "a sighting 2016 intervals old still matches; 2017 intervals old it is left out",
)
def retention_edge(ctx: Context) -> None:
    key, sighting = _scene(ctx)
    oldest = sighting["interval"] + _RETENTION
    _check(ctx, key, sighting, oldest, _MATCH, "2016 intervals after the sighting")
    _check(ctx, key, sighting, oldest + 1, {}, "2017 intervals after the sighting")


@behaviour(
    "receiver/tx-power-plausibility",
    ("MATCH-7",),
    _CHECK_OPS,
    "a matched sighting is kept at -50 and +20 dBm and discarded at -51 and +21 dBm",
)
def tx_power_plausibility(ctx: Context) -> None:
    for power, kept in ((-50, True), (20, True), (-51, False), (21, False)):
        key, sighting = _scene(ctx, tx_power=power)
        now = key["rolling_start"] + key["rolling_period"] + _EMBARGO
        discarded = [{"sighting_index": 0, "error": "implausible_tx_power"}]
        expected = _MATCH if kept else {"discarded_sightings": discarded}
        _check(ctx, key, sighting, now, expected, f"TX power {power:+d} dBm")


@behaviour(
    "receiver/metadata-version",
    ("MATCH-7", "KS-10"),
    _CHECK_OPS,
    "a matched sighting whose metadata has major version 0, 2 or 3 is discarded",
)
def metadata_version(ctx: Context) -> None:
    for major in (0, 2, 3):
        key, sighting = _scene(ctx, major=major)
        now = key["rolling_start"] + key["rolling_period"] + _EMBARGO
        discarded = [{"sighting_index": 0, "error": "unsupported_version"}]
        _check(ctx, key, sighting, now, {"discarded_sightings": discarded}, f"major {major}")


_MAPPING = {
    "days_since_onset_to_infectiousness": {"0": 1, "1": 2},
    "infectiousness_when_days_since_onset_missing": 1,
    "report_type_when_missing": 1,
}


def _random_scans(ctx: Context) -> list[dict[str, Any]]:
    """Two hours of scans 30-400 s apart across a UTC midnight, hearing keys 0 and 1."""
    first = ctx.rng.randrange(_FIRST_DAY, _LAST_DAY) * 86_400 - 3_600
    start, scans = first, []
    while start < first + 7_200:
        heard = [
            {"key": key, "attenuation_db": ctx.rng.randrange(30, 90), "calibration_confidence": 3}
            for key in (0, 1)
            for _ in range(ctx.rng.choice((0, 0, 1, 2)))
        ]
        scans.append({"start_s": start, "sightings": heard})
        start += ctx.rng.randrange(30, 400)
    return scans


@behaviour(
    "receiver/windows-invariants",
    ("RISK-4", "RISK-5"),
    ("exposure_windows",),
    "random scans of two keys: every heard scan is one instance, values in range, and"
    " swapping the keys' numbers changes no window",
)
def windows_invariants(ctx: Context) -> None:
    scans = _random_scans(ctx)
    keys = [{"report_type": 1, "days_since_onset": 0}, {"report_type": 1, "days_since_onset": 1}]
    params = {"scans": scans, "keys": keys, "mapping": _MAPPING}
    windows = ctx.result("exposure_windows", params, "random scans")["windows"]
    heard = sum(len({s["key"] for s in scan["sightings"]}) for scan in scans)
    instances = [i for w in windows for i in w.get("scan_instances", [])]
    request = {"op": "exposure_windows", "params": params}
    if len(instances) != heard:
        why = f"{heard} (scan, key) pairs heard but {len(instances)} scan instances (RISK-4)"
        raise CheckFailed(why, request, None, windows)
    for item in instances:
        gap, low, typical = (
            item.get("seconds_since_last_scan"),
            item.get("min_attenuation_db"),
            item.get("typical_attenuation_db"),
        )
        if not (isinstance(gap, int) and 1 <= gap <= 300 and low <= typical):
            raise CheckFailed(
                f"scan instance out of range (RISK-4): {item}", request, None, windows
            )
    swapped = [
        {**scan, "sightings": [{**s, "key": 1 - s["key"]} for s in scan["sightings"]]}
        for scan in scans
    ]
    params = {"scans": swapped, "keys": keys[::-1], "mapping": _MAPPING}
    ctx.expect_equal("exposure_windows", params, {"windows": windows}, "the keys swapped")


TESTS: tuple[InteropTest, ...] = (
    interval_number,
    metadata_fields,
    embargo_edge,
    retention_edge,
    tx_power_plausibility,
    metadata_version,
    windows_invariants,
)
