"""Property tests: what goes in comes out, and prune keeps exactly the last 14 days."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store import SightingRecord, Store
from tests.reference_node.store.conftest import NOW

CUTOFF = NOW - params.RETENTION_INTERVALS
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
text = st.text(max_size=20)

records = st.builds(
    SightingRecord,
    rpi=st.binary(min_size=16, max_size=16),
    aem=st.none() | st.binary(min_size=4, max_size=4),
    interval=st.integers(CUTOFF - 300, NOW + 10),
    monotonic_time=finite,
    wall_time=finite,
    rssi=st.none() | st.integers(-(2**31), 2**31 - 1),
    address=st.none() | text,
    address_type=st.none() | text,
    backend=text,
)


@contextmanager
def fresh_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as data, Store.open(data) as store:
        yield store


def split(items: list, sizes: list[int]) -> Iterator[list]:
    start = 0
    for size in sizes:
        yield items[start : start + size]
        start += size
    yield items[start:]


@settings(max_examples=40, deadline=None)
@given(st.lists(records, max_size=60), st.lists(st.integers(0, 20), max_size=5))
def test_sightings_inserted_in_batches_read_back_identical(batch: list, sizes: list[int]):
    with fresh_store() as store:
        for part in split(batch, sizes):
            store.insert_sightings(part)
        assert [s.as_row() for s in store.sightings()] == [r.as_row() for r in batch]


@settings(max_examples=40, deadline=None)
@given(st.lists(records, max_size=60), st.integers(NOW - 200, NOW + 400))
def test_prune_keeps_exactly_the_last_14_days(batch: list, now: int):
    """spec MATCH-6: interval < now - 2016 is deleted, everything else is kept in order."""
    with fresh_store() as store:
        store.insert_sightings(batch)
        kept = [r.as_row() for r in batch if r.interval >= now - params.RETENTION_INTERVALS]
        matching = store.sightings_for_matching(now)
        result = store.prune(now)
        assert result.sightings == len(batch) - len(kept)
        assert [s.as_row() for s in store.sightings()] == kept
        assert store.sightings_for_matching(now) == matching
        assert [(s.rpi, s.interval) for s in matching] == [(r[0], r[2]) for r in kept]
        assert store.prune(now).sightings == 0


keys = st.builds(
    TemporaryExposureKey,
    key_data=st.binary(min_size=16, max_size=16),
    rolling_start=st.integers(CUTOFF - 300, NOW),
    rolling_period=st.integers(1, 144),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(keys, max_size=20, unique_by=lambda k: k.key_data), st.integers(NOW - 100, NOW))
def test_prune_keeps_keys_until_their_last_interval_is_14_days_old(own: list, now: int):
    """spec KS-11: a key is kept while end_interval > now - 2016."""
    with fresh_store() as store:
        for key in own:
            store.add_own_key(key, 1.0)
        store.prune(now)
        kept = {k.key_data for k in own if k.end_interval > now - params.RETENTION_INTERVALS}
        assert {s.key.key_data for s in store.own_keys()} == kept


@given(
    st.one_of(st.binary(max_size=20), st.text(max_size=3), st.integers(), st.none()),
    st.one_of(st.binary(max_size=6), st.none(), st.integers()),
    st.one_of(st.integers(-5, 2**33), st.floats(), st.booleans(), st.text(max_size=2)),
    st.one_of(st.floats(), st.integers(), st.text(max_size=2), st.none()),
)
def test_records_are_accepted_exactly_when_their_fields_are_valid(rpi, aem, interval, wall_time):
    """Construction raises only InvalidRecordError, and exactly for invalid fields."""
    valid = (
        isinstance(rpi, bytes)
        and len(rpi) == 16
        and (aem is None or (isinstance(aem, bytes) and len(aem) == 4))
        and type(interval) is int
        and 0 <= interval <= 2**32 - 1
        and type(wall_time) in (int, float)
        and math.isfinite(wall_time)
    )
    try:
        SightingRecord(rpi, aem, interval, 0.0, wall_time, -50, None, None, "sim")
    except InvalidRecordError:
        assert not valid
    else:
        assert valid
