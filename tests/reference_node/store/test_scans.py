"""The scans table (spec RISK-4): recorded, read in time order, pruned after 14 days."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store import STORE_FILENAME, ScanRecord, Store, schema
from tests.reference_node.store.conftest import NOW, sighting

CUTOFF = NOW - params.RETENTION_INTERVALS


def scan(interval: int, offset: float = 0.0, sightings: int = 0) -> ScanRecord:
    start = interval * params.INTERVAL_SECONDS + offset
    return ScanRecord(start, start + 4, interval, sightings, 1)


def test_scans_come_back_in_start_order_with_ids(store: Store):
    late, early = store.add_scan(scan(NOW, 300)), store.add_scan(scan(NOW, 10, 3))
    assert store.scans() == [early, late]
    assert early.scan_id == late.scan_id + 1
    assert (early.sightings, early.dropped) == (3, 1)
    assert early.end_wall_time == early.start_wall_time + 4
    assert store.last_scan_end() == late.end_wall_time


def test_scans_are_selected_from_an_interval_on(store: Store):
    store.add_scan(scan(NOW - 2))
    store.add_scan(scan(NOW))
    assert [s.start_interval for s in store.scans(NOW - 1)] == [NOW]


def test_an_empty_store_has_no_last_scan(store: Store):
    assert store.scans() == [] and store.last_scan_end() is None


def test_a_scan_and_its_sightings_commit_together(store: Store):
    with pytest.raises(InvalidRecordError), store.transaction():
        store.insert_sightings([sighting(1)])
        store.add_scan(scan(NOW))
        store.insert_sightings(["not a record"])  # type: ignore[list-item]
    assert store.scans() == [] and store.count_sightings() == 0


@pytest.mark.parametrize(
    "fields",
    [
        (10.0, 5.0, 1, 0, 0),  # ends before it starts
        (float("nan"), 5.0, 1, 0, 0),
        (1.0, 5.0, -1, 0, 0),
        (1.0, 5.0, 1, -1, 0),
        (1.0, 5.0, 1, 0, True),
    ],
)
def test_bad_scan_records_are_refused(fields):
    with pytest.raises(InvalidRecordError):
        ScanRecord(*fields)


def test_prune_deletes_scans_older_than_14_days(store: Store):
    store.add_scan(scan(CUTOFF - 1))
    store.add_scan(scan(CUTOFF))
    assert store.prune(NOW).scans == 1
    assert [s.start_interval for s in store.scans()] == [CUTOFF]


def test_a_version_1_store_gains_the_scans_table_and_keeps_its_data(tmp_path: Path):
    db = sqlite3.connect(tmp_path / STORE_FILENAME, isolation_level=None)
    db.execute("BEGIN")
    schema.migrate(db, schema.MIGRATIONS[:1])
    db.execute("COMMIT")
    db.execute(
        "INSERT INTO sightings (rpi, interval, monotonic_time, wall_time, backend)"
        " VALUES (zeroblob(16), 5, 1.0, 2.0, 'sim')"
    )
    db.close()
    with Store.open(tmp_path) as store:
        assert store.count_sightings() == 1
        assert store.scans() == []
        store.add_scan(scan(NOW))
        assert len(store.scans()) == 1
