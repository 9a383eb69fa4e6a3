"""Behaviour of the Bluezone 2020 profile ops, judged by invariants (appendix A1, IOP-42, IOP-43).

The suite computes no BLID itself: it compares the adapter's answers with each other. The
one hash it takes is the daily-key step of BZ20-2 (SHA-256 of a key), to check that a day's
BLIDs follow from the previous day's key.
"""

from __future__ import annotations

from hashlib import sha256

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, behaviour

_DAY = 86400
# UTC midnights of 2020-2025, where the legacy app's install days lie.
_FIRST_DAY, _LAST_DAY = 18_300, 20_000
_FLAGS, _MANUFACTURER, _UUID_LIST = "02011a", "0fffb522", "0303564e"


def _blid(ctx: Context, base_key: str, install_day: int, time: int, slots: int = 96) -> str:
    params = {"base_key": base_key, "install_day": install_day, "time": time}
    return ctx.result("bz2020_blid", {**params, "slots_per_day": slots})["blid"]


def _differ(first: str, second: str, what: str, request: dict) -> None:
    if first == second:
        raise CheckFailed(what, {"op": "bz2020_blid", "params": request}, "distinct", first)


def _same(first: str, second: str, what: str, request: dict) -> None:
    if first != second:
        raise CheckFailed(what, {"op": "bz2020_blid", "params": request}, first, second)


@behaviour(
    "bluezone-2020/slot-boundaries",
    ("BZ20-3", "BZ20-4"),
    ("bz2020_blid",),
    "one BLID through a slot, a new one at the next slot and the next day",
)
def slot_boundaries(ctx: Context) -> None:
    key, install = ctx.random_bytes(32), _DAY * ctx.rng.randrange(_FIRST_DAY, _LAST_DAY)
    for slots in (96, 144):
        length = _DAY // slots
        start = install + _DAY * ctx.rng.randrange(0, 20) + length * ctx.rng.randrange(slots - 1)
        request = {"base_key": key, "install_day": install, "time": start}
        first = _blid(ctx, key, install, start, slots)
        _same(first, _blid(ctx, key, install, start + length - 1, slots), "within a slot", request)
        _differ(first, _blid(ctx, key, install, start + length, slots), "next slot", request)
        _differ(first, _blid(ctx, key, install, start + _DAY, slots), "next day", request)
    # Slot 0 of a day is BLID_0 of its daily key whatever the number of slots.
    request = {"base_key": key, "install_day": install, "time": install}
    _same(_blid(ctx, key, install, install, 96), _blid(ctx, key, install, install, 144),
          "slot 0 under 96 and 144 slots per day", request)  # fmt: skip


@behaviour(
    "bluezone-2020/daily-chain",
    ("BZ20-2",),
    ("bz2020_blid",),
    "day d of a base key is day d-1 of its SHA-256, for d = 1..3",
)
def daily_chain(ctx: Context) -> None:
    key = bytes.fromhex(ctx.random_bytes(32))
    install = _DAY * ctx.rng.randrange(_FIRST_DAY, _LAST_DAY)
    for day in (1, 2, 3):
        time = install + day * _DAY + ctx.rng.randrange(_DAY)
        here = _blid(ctx, key.hex(), install, time)
        shifted = _blid(ctx, sha256(key).hexdigest(), install + _DAY, time)
        request = {"base_key": key.hex(), "install_day": install, "time": time}
        _same(here, shifted, f"day {day} of a key must be day {day - 1} of its hash", request)


def _expect_decode(ctx: Context, ad: str, blid: str | None, why: str) -> None:
    if blid is None:
        ctx.expect_error("bz2020_advertisement_decode", {"ad": ad}, why)
    else:
        ctx.expect_equal("bz2020_advertisement_decode", {"ad": ad}, {"blid": blid}, why)


@behaviour(
    "bluezone-2020/advertisement-hostile",
    ("BZ20-6", "BZ20-7", "BZ20-8", "ADV-5", "IOP-22"),
    ("bz2020_advertisement_decode",),
    "the Android form decodes; its prefixes and random octets are invalid_input",
)
def advertisement_hostile(ctx: Context) -> None:
    blid = ctx.random_bytes(12)
    ad = _FLAGS + _MANUFACTURER + blid + _UUID_LIST
    _expect_decode(ctx, ad, blid, "the Android form of BZ20-5")
    _expect_decode(ctx, _UUID_LIST + _MANUFACTURER + blid, blid, "another order, no Flags")
    _expect_decode(ctx, _FLAGS + "0fff4c00" + blid + _UUID_LIST, None, "another company's data")
    for length in range(len(ad) // 2):
        _expect_decode(ctx, ad[: 2 * length], None, f"the first {length} octets")
    for _ in range(64):
        size = ctx.rng.randrange(40)
        sample = bytes(ctx.rng.randrange(256) for _ in range(size)).hex()
        _expect_decode(ctx, sample, None, "random octets are no advertisement")
    _expect_decode(ctx, ad, blid, "a valid advertisement after hostile ones")


TESTS = (slot_boundaries, daily_chain, advertisement_hostile)
