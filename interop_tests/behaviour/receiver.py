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
from bluezone.interop_tests.model import InteropTest, behaviour

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


TESTS: tuple[InteropTest, ...] = (
    interval_number,
    metadata_fields,
    embargo_edge,
    retention_edge,
    tx_power_plausibility,
    metadata_version,
)
