"""Legacy Bluezone 2020 sightings in the store (spec BZ20-12): in, out, pruned, rolled back."""

from __future__ import annotations

import pytest

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store import Store
from bluezone.reference_node.store.legacy import LegacyCheckRecord, LegacySightingRecord

T = 1_764_000_000.5


def record(n: int, wall_time: float = T) -> LegacySightingRecord:
    return LegacySightingRecord(bytes([n]) * 12, wall_time, -70, "sim")


def test_legacy_sightings_round_trip_and_are_pruned_after_14_days(store: Store):
    old = T - params.RETENTION_DAYS * 86400 - 600
    assert store.insert_legacy_sightings([record(1, old), record(2), record(3)]) == 3
    now = interval_number(T)
    assert [s.record for s in store.legacy_sightings(now)] == [record(2), record(3)]
    assert store.prune(now).legacy_sightings == 1
    store.add_legacy_check(LegacyCheckRecord(T, 2, (2,)))
    assert store.legacy_checks() == [LegacyCheckRecord(T, 2, (2,))]


def test_a_failed_batch_leaves_nothing(store: Store):
    with pytest.raises(InvalidRecordError), store.transaction():
        store.insert_legacy_sightings([record(1)])
        store.insert_legacy_sightings([record(2), "not a record"])  # type: ignore[list-item]
    assert store.legacy_sightings(interval_number(T)) == []


@pytest.mark.parametrize(
    "fields",
    [
        (b"\x00" * 11, T, -70, "sim"),
        (b"\x00" * 12, -1.0, None, "sim"),
        (b"\x00" * 12, T, "x", "sim"),
    ],
)
def test_bad_legacy_records_are_refused(fields):
    with pytest.raises(InvalidRecordError):
        LegacySightingRecord(*fields)
