"""The device identity: rotation at UTC midnight, re-key after a report, 14-day history."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.reference_node.errors import (
    IdentityError,
    RandomSourceError,
    StoreDiskFullError,
)
from bluezone.reference_node.node.identity import AsyncDeviceIdentity, DeviceIdentity
from bluezone.reference_node.store import STORE_FILENAME, AsyncStore, Store

DAY = 2_940_624  # 2025-11-23 00:00 UTC as an ENIntervalNumber, a multiple of 144
S = params.INTERVAL_SECONDS
DAY_S = params.INTERVALS_PER_DAY * S


def at(day: int = 0, interval: int = 0, seconds: float = 0.0) -> float:
    """Return unix seconds ``day`` days, ``interval`` intervals and ``seconds`` after DAY."""
    return (DAY + day * params.INTERVALS_PER_DAY + interval) * S + seconds


class Draws:
    """A seeded stand-in for secrets.token_bytes that remembers what it gave."""

    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)
        self.given: list[bytes] = []

    def __call__(self, n: int) -> bytes:
        self.given.append(self._random.randbytes(n))
        return self.given[-1]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as opened:
        yield opened


@pytest.fixture
def draws() -> Draws:
    return Draws()


@pytest.fixture
def identity(store: Store, draws: Draws) -> DeviceIdentity:
    return DeviceIdentity(store, draws)


# -- rotation (KS-3, KS-4) -------------------------------------------------------------------


def test_a_device_starting_mid_day_starts_its_key_at_the_current_interval(
    identity: DeviceIdentity, draws: Draws
):
    """spec KS-3, KS-4: no key holds the interval, so one starts there and ends at midnight."""
    key = identity.current_key(at(0, 50, 123.0))
    assert (key.rolling_start, key.rolling_period) == (DAY + 50, 94)
    assert key.key_data == draws.given[0]


def test_one_key_all_day_and_a_new_one_at_utc_midnight(identity: DeviceIdentity):
    first = identity.current_key(at(0, 0))
    assert identity.current_key(at(0, 143, S - 0.001)) == first
    second = identity.current_key(at(1, 0))
    assert second != first and second.key_data != first.key_data
    assert (second.rolling_start, second.rolling_period) == (DAY + 144, 144)
    assert identity.current_key(at(1, 70)) == second


def test_a_key_is_stored_before_it_is_returned(identity: DeviceIdentity, store: Store, tmp_path):
    key = identity.current_key(at(0, 3))
    # What a kill -9 right now would leave on disk: the database file and its log.
    image = tmp_path / "image"
    image.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{store.path}{suffix}", image / f"{STORE_FILENAME}{suffix}")
    with Store.open(image) as crashed:
        assert [k.key for k in crashed.own_keys()] == [key]


def test_no_key_is_returned_when_storing_it_fails(store: Store, draws: Draws):
    class FullStore(Store):
        def add_own_key(self, key, created_wall_time):
            raise StoreDiskFullError("disk full")

    full = FullStore(store._connection, store.path)  # type: ignore[arg-type]
    with pytest.raises(StoreDiskFullError):
        DeviceIdentity(full, draws).current_key(at(0, 3))
    assert store.own_keys() == []


def test_a_restarted_device_keeps_its_key_for_the_day(tmp_path: Path, draws: Draws):
    with Store.open(tmp_path) as store:
        before = DeviceIdentity(store, draws).current_key(at(0, 10))
    with Store.open(tmp_path) as store:
        after = DeviceIdentity(store, draws).current_key(at(0, 90))
    assert after == before
    assert len(draws.given) == 1


def test_a_simulated_day_of_rotations_uses_one_key(identity: DeviceIdentity, store: Store):
    keys = {identity.current_key(at(0, i, 37.0)).key_data for i in range(144)}
    assert len(keys) == 1 and len(store.own_keys()) == 1


# -- re-key after a report (KS-13, KS-12) ----------------------------------------------------


def test_a_report_cuts_the_key_and_starts_a_new_one_at_once(identity: DeviceIdentity, store: Store):
    """spec KS-13: the cut key's last interval is the current one, where the new key starts."""
    yesterday = identity.current_key(at(-1, 0))
    today = identity.current_key(at(0, 0))
    assert identity.current_key(at(0, 5)) == today
    report = identity.report(at(0, 40, 300.0))
    cut = [r.key.key for r in report.keys]
    assert [(k.key_data, k.rolling_start, k.rolling_period) for k in cut] == [
        (yesterday.key_data, DAY - 144, 144),
        (today.key_data, DAY, 41),
    ]
    new = identity.current_key(at(0, 40, 301.0))
    assert new.key_data not in {yesterday.key_data, today.key_data}
    assert (new.rolling_start, new.rolling_period) == (DAY + 40, 104)
    assert report.made_interval == DAY + 40
    assert len(store.own_keys()) == 3
    # Restarted, the device still broadcasts the new key, not the cut one.
    assert DeviceIdentity(store, Draws(99)).current_key(at(0, 40, 400.0)) == new
    # The next day starts a midnight key again.
    assert identity.current_key(at(1, 0)).rolling_start == DAY + 144


def test_reported_keys_are_due_for_upload_only_after_their_embargo(identity: DeviceIdentity):
    """spec KS-12, KS-13: earlier days at once, the cut key 12 intervals after its last."""
    identity.current_key(at(-1, 0))
    identity.current_key(at(0, 0))
    report = identity.report(at(0, 40))
    old, cut = (r.key for r in report.keys)
    assert identity.keys_due_for_upload(at(0, 40)) == [(report.report_id, old)]
    assert identity.keys_due_for_upload(at(0, 52)) == [(report.report_id, old)]
    assert identity.keys_due_for_upload(at(0, 53)) == [
        (report.report_id, old),
        (report.report_id, cut),
    ]
    for _, stored in identity.keys_due_for_upload(at(0, 53)):
        stored.key.check_publishable(DAY + 53)


def test_a_report_in_the_keys_first_interval_cuts_it_to_one_interval(identity: DeviceIdentity):
    identity.current_key(at(0, 0))
    identity.report(at(0, 40))
    second = identity.report(at(0, 40, 200.0))
    assert [(r.key.key.rolling_start, r.key.key.rolling_period) for r in second.keys] == [
        (DAY, 41),
        (DAY + 40, 1),
    ]
    third = identity.current_key(at(0, 41))
    assert (third.rolling_start, third.rolling_period) == (DAY + 40, 104)
    assert len(identity.history(at(0, 41))) == 3


def test_a_report_can_start_from_a_given_interval(identity: DeviceIdentity):
    for day in range(-5, 1):
        identity.current_key(at(day, 0))
    report = identity.report(at(0, 10), first_interval=DAY - 2 * 144)
    assert [r.key.key.rolling_start for r in report.keys] == [DAY - 2 * 144, DAY - 144, DAY]


def test_a_report_with_no_key_yet_just_starts_one(identity: DeviceIdentity):
    report = identity.report(at(0, 10))
    assert report.keys == ()
    assert identity.current_key(at(0, 10)).rolling_start == DAY + 10


def test_a_failed_report_changes_nothing(store: Store):
    calls = iter([b"\x01" * 16, b"short"])
    identity = DeviceIdentity(store, lambda n: next(calls))
    key = identity.current_key(at(0, 5))
    with pytest.raises(RandomSourceError):
        identity.report(at(0, 40))
    assert [k.key for k in store.own_keys()] == [key]
    assert store.reports() == []
    assert identity.current_key(at(0, 41)) == key


def test_history_holds_14_days_and_prune_deletes_the_rest(identity: DeviceIdentity, store: Store):
    """spec KS-11: today's key and the 14 days before; a key goes when its day is 14 days old.

    That is when the last sighting of its identifiers is deleted too (MATCH-6).
    """
    for day in range(-19, 1):
        identity.current_key(at(day, 0))
    for now in (at(0, 0), at(0, 72), at(0, 143, S - 1)):
        kept = identity.history(now)
        assert [k.key.rolling_start for k in kept] == [DAY + d * 144 for d in range(-14, 1)]
    next_midnight = identity.history(at(1, 0))
    assert [k.key.rolling_start for k in next_midnight] == [DAY + d * 144 for d in range(-13, 1)]
    assert store.prune(DAY + 143).keys == 5
    assert store.prune(DAY + 144).keys == 1
    assert store.own_keys() == next_midnight


def test_a_clock_that_jumps_back_reuses_the_key_holding_the_interval(identity: DeviceIdentity):
    """spec KS-3: a new key only where no stored key holds the current interval."""
    yesterday = identity.current_key(at(-1, 100))
    today = identity.current_key(at(0, 3))
    assert identity.current_key(at(-1, 120)) == yesterday
    earlier = identity.current_key(at(-3, 10))
    assert (earlier.rolling_start, earlier.rolling_period) == (DAY - 3 * 144 + 10, 134)
    assert identity.current_key(at(0, 4)) == today


# -- failures --------------------------------------------------------------------------------


def test_a_random_source_of_the_wrong_length_is_refused(store: Store):
    with pytest.raises(RandomSourceError):
        DeviceIdentity(store, lambda n: b"\x00" * (n - 1)).current_key(at(0, 1))
    assert store.own_keys() == []


def test_a_random_source_that_repeats_is_caught(store: Store):
    """spec KS-14: a device never reuses a TEK."""
    identity = DeviceIdentity(store, lambda n: b"\x42" * n)
    identity.current_key(at(0, 1))
    with pytest.raises(RandomSourceError) as caught:
        identity.current_key(at(1, 1))
    assert caught.value.code == "identity_random_source"


def test_a_clock_out_of_range_is_an_identity_error(identity: DeviceIdentity):
    with pytest.raises(IdentityError):
        identity.current_key(-1.0)


# -- secrets stay secret ---------------------------------------------------------------------


def test_key_bytes_never_appear_in_reprs_or_logs(
    identity: DeviceIdentity, store: Store, draws: Draws, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    identity.current_key(at(-1, 1))
    identity.current_key(at(0, 0))
    report = identity.report(at(0, 30))
    shown = " ".join(
        [
            repr(identity),
            str(identity),
            repr(report),
            repr(store.own_keys()),
            repr(identity.history(at(0, 31))),
            caplog.text,
        ]
    )
    assert "rolling_start" in shown and "started key" in caplog.text
    for secret in draws.given:
        for form in (secret.hex(), secret.hex()[:8], repr(secret)[2:12]):
            assert form not in shown


# -- the async facade ------------------------------------------------------------------------


def test_async_identity_runs_in_the_store_thread(tmp_path: Path):
    async def scenario() -> None:
        async with await AsyncStore.open(tmp_path) as store:
            identity = AsyncDeviceIdentity(store, Draws())
            key = await identity.current_key(at(0, 5))
            assert await identity.current_key(at(0, 6)) == key
            report = await identity.report(at(0, 20))
            assert [r.key.key.key_data for r in report.keys] == [key.key_data]
            assert len(await identity.history(at(0, 21))) == 2
            assert await identity.keys_due_for_upload(at(0, 33)) == [
                (report.report_id, report.keys[0].key)
            ]
            assert "rolling_start" in repr(identity)

    asyncio.run(scenario())
