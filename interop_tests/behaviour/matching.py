"""Behaviour of the match op, cross-checked against the adapter's own rpi answers.

Each test asks the adapter for the RPIs of random keys, builds sightings from them, and
knows from the matching rules alone which sightings must match: an RPI of interval j
sighted at interval s matches its key iff j lies in the key's period and |s - j| <= 12
(MATCH-2, MATCH-3). Expected matches never come from a second implementation.
"""

from __future__ import annotations

from typing import Any

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import InteropTest, behaviour

_DAY = 144
_TOLERANCE = 12
_FIRST_DAY, _LAST_DAY = 18_000, 20_400


def _start(ctx: Context, aligned: bool = True) -> int:
    """A random rolling start: a UTC midnight, or any interval of that day."""
    start = ctx.rng.randrange(_FIRST_DAY, _LAST_DAY) * _DAY
    return start if aligned else start + ctx.rng.randrange(1, _DAY)


def _key(tek: str, start: int, period: int) -> dict[str, Any]:
    return {"key": tek, "rolling_start": start, "rolling_period": period}


def _rpi(ctx: Context, tek: str, interval: int) -> str:
    """The adapter's RPI for ``interval``, which the test builds on."""
    return ctx.prerequisite("rpi", {"tek": tek, "interval": interval})["rpi"]


def _sighting(rpi: str, interval: int) -> dict[str, Any]:
    return {"rpi": rpi, "interval": interval}


def _expect_matches(
    ctx: Context,
    keys: list[dict[str, Any]],
    sightings: list[dict[str, Any]],
    pairs: list[tuple[int, int]],
    why: str,
) -> None:
    expected = [{"key_index": k, "sighting_index": s} for k, s in sorted(pairs)]
    ctx.expect_equal("match", {"keys": keys, "sightings": sightings}, {"matches": expected}, why)


def _tolerance(offset: int) -> InteropTest:
    matches = abs(offset) <= _TOLERANCE

    @behaviour(
        f"matching/tolerance{offset:+d}",
        ("MATCH-3",),
        ("rpi", "match"),
        f"an RPI sighted {offset:+d} intervals from its own {'matches' if matches else 'does not'}",
    )
    def run(ctx: Context) -> None:
        tek, start = ctx.random_bytes(16), _start(ctx)
        interval = start + _DAY // 2
        sightings = [_sighting(_rpi(ctx, tek, interval), interval + offset)]
        pairs = [(0, 0)] if matches else []
        _expect_matches(ctx, [_key(tek, start, _DAY)], sightings, pairs, f"offset {offset:+d}")

    return run


@behaviour(
    "matching/tolerance-at-period-edges",
    ("MATCH-2", "MATCH-3"),
    ("rpi", "match"),
    "the tolerance reaches 12 intervals before the first and after the last RPI of a key",
)
def tolerance_at_period_edges(ctx: Context) -> None:
    tek, start, period = ctx.random_bytes(16), _start(ctx), ctx.rng.randrange(20, _DAY)
    first, last = _rpi(ctx, tek, start), _rpi(ctx, tek, start + period - 1)
    sightings = [
        _sighting(first, start - _TOLERANCE),
        _sighting(first, start - _TOLERANCE - 1),
        _sighting(last, start + period - 1 + _TOLERANCE),
        _sighting(last, start + period + _TOLERANCE),
    ]
    _expect_matches(ctx, [_key(tek, start, period)], sightings, [(0, 0), (0, 2)], "period edges")


@behaviour(
    "matching/rolling-period-1",
    ("MATCH-2", "KS-4"),
    ("rpi", "match"),
    "a key with rolling_period 1 expands to exactly one RPI",
)
def rolling_period_1(ctx: Context) -> None:
    tek, start = ctx.random_bytes(16), _start(ctx, aligned=False)
    own, before, after = (_rpi(ctx, tek, start + d) for d in (0, -1, 1))
    sightings = [
        _sighting(own, start),
        _sighting(after, start + 1),
        _sighting(before, start - 1),
        _sighting(own, start + _TOLERANCE),
    ]
    _expect_matches(ctx, [_key(tek, start, 1)], sightings, [(0, 0), (0, 3)], "rolling_period 1")


@behaviour(
    "matching/rolling-period-end",
    ("MATCH-2",),
    ("rpi", "match"),
    "the last RPI of a shortened period matches; the next interval's does not",
)
def rolling_period_end(ctx: Context) -> None:
    tek, start, period = ctx.random_bytes(16), _start(ctx), ctx.rng.randrange(2, _DAY)
    end = start + period
    sightings = [
        _sighting(_rpi(ctx, tek, end - 1), end - 1),
        _sighting(_rpi(ctx, tek, end), end),
        _sighting(_rpi(ctx, tek, end + 5), end + 5),
    ]
    _expect_matches(ctx, [_key(tek, start, period)], sightings, [(0, 0)], f"period {period}")


@behaviour(
    "matching/unaligned-start",
    ("KS-4", "MATCH-1", "MATCH-2"),
    ("rpi", "match"),
    "receivers accept a key whose rolling start is not a UTC midnight",
)
def unaligned_start(ctx: Context) -> None:
    tek, start = ctx.random_bytes(16), _start(ctx, aligned=False)
    period = ctx.rng.randrange(1, _DAY - start % _DAY + 1)
    interval = start + period // 2
    sightings = [_sighting(_rpi(ctx, tek, interval), interval)]
    _expect_matches(ctx, [_key(tek, start, period)], sightings, [(0, 0)], f"start {start}")


@behaviour(
    "matching/duplicate-keys",
    ("MATCH-4", "MATCH-5"),
    ("rpi", "match"),
    "a key listed twice is matched once, under its first index",
)
def duplicate_keys(ctx: Context) -> None:
    start = _start(ctx)
    tek, other = ctx.random_bytes(16), ctx.random_bytes(16)
    keys = [_key(tek, start, _DAY), _key(other, start, _DAY), _key(tek, start, _DAY)]
    sightings = [
        _sighting(_rpi(ctx, tek, start + 30), start + 30),
        _sighting(_rpi(ctx, other, start + 40), start + 41),
    ]
    _expect_matches(ctx, keys, sightings, [(0, 0), (1, 1)], "duplicate key data")


@behaviour(
    "matching/duplicate-key-later-copy-ignored",
    ("MATCH-4",),
    ("rpi", "match"),
    "a later copy of a key is ignored even where its period would match",
)
def duplicate_key_later_copy_ignored(ctx: Context) -> None:
    tek, start = ctx.random_bytes(16), _start(ctx)
    keys = [_key(tek, start, 1), _key(tek, start, _DAY)]
    sightings = [_sighting(_rpi(ctx, tek, start + 100), start + 100)]
    _expect_matches(ctx, keys, sightings, [], "only the first copy of a key is matched")


@behaviour("matching/empty", ("MATCH-2",), ("match",), "no keys, or no sightings, no matches")
def empty(ctx: Context) -> None:
    tek, start = ctx.random_bytes(16), _start(ctx)
    sightings = [_sighting(ctx.random_bytes(16), start)]
    _expect_matches(ctx, [], sightings, [], "no keys")
    _expect_matches(ctx, [_key(tek, start, _DAY)], [], [], "no sightings")


def _random_scene(
    ctx: Context,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, int]]]:
    """Random keys, sightings of their RPIs in and out of range, and the matches due."""
    keys: list[dict[str, Any]] = []
    sightings: list[tuple[dict[str, Any], int | None]] = []
    rng = ctx.rng
    periods = (1, _DAY, rng.randrange(2, _DAY), rng.randrange(2, _DAY))
    for index, period in enumerate(periods):
        tek, start = ctx.random_bytes(16), _start(ctx)
        keys.append(_key(tek, start, period))
        for _ in range(2):
            j = start + rng.randrange(period)
            sightings.append((_sighting(_rpi(ctx, tek, j), j + rng.randint(-12, 12)), index))
        for j in (start - 1, start + period):
            sightings.append((_sighting(_rpi(ctx, tek, j), j), None))
    sightings += [(_sighting(ctx.random_bytes(16), keys[0]["rolling_start"]), None)] * 2
    rng.shuffle(sightings)
    pairs = [(k, s) for s, (_, k) in enumerate(sightings) if k is not None]
    return keys, [s for s, _ in sightings], pairs


@behaviour(
    "matching/cross-check",
    ("KS-6", "MATCH-2", "MATCH-3", "MATCH-5"),
    ("rpi", "match"),
    "random keys: match finds exactly the sightings of their RPIs inside their periods",
)
def cross_check(ctx: Context) -> None:
    keys, sightings, pairs = _random_scene(ctx)
    _expect_matches(ctx, keys, sightings, pairs, "random keys against rpi answers")


@behaviour(
    "matching/sighting-order",
    ("MATCH-9",),
    ("rpi", "match"),
    "reversing the sightings reverses the sighting indexes and changes nothing else",
)
def sighting_order(ctx: Context) -> None:
    keys, sightings, pairs = _random_scene(ctx)
    last = len(sightings) - 1
    reversed_pairs = [(k, last - s) for k, s in pairs]
    _expect_matches(ctx, keys, sightings[::-1], reversed_pairs, "sightings in reverse order")


TESTS = (
    *(_tolerance(offset) for offset in (-13, -12, 12, 13)),
    tolerance_at_period_edges,
    rolling_period_1,
    rolling_period_end,
    unaligned_start,
    duplicate_keys,
    duplicate_key_later_copy_ignored,
    empty,
    cross_check,
    sighting_order,
)
