"""The store's API: records in and out, one transaction per write, retention (MATCH-6, KS-11)."""

from __future__ import annotations

import math
import stat
import threading
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.matching import Sighting
from bluezone.reference_node.errors import (
    BatchConflictError,
    InvalidRecordError,
    StoreClosedError,
    StoreError,
)
from bluezone.reference_node.store import (
    STORE_FILENAME,
    BatchRecord,
    ExposureCheckRecord,
    PruneResult,
    SightingRecord,
    Store,
)
from tests.reference_node.store.conftest import DAY, NOW, fields, sighting

CUTOFF = NOW - params.RETENTION_INTERVALS


def key(n: int, rolling_start: int = DAY, rolling_period: int = 144) -> TemporaryExposureKey:
    return TemporaryExposureKey(bytes([n]) * 16, rolling_start, rolling_period)


def pragma(store: Store, name: str) -> object:
    return store._connection.execute(f"PRAGMA {name}").fetchone()[0]  # type: ignore[union-attr]


# -- opening ---------------------------------------------------------------------------------


def test_open_creates_a_private_data_directory(tmp_path: Path):
    data = tmp_path / "a" / "b"
    with Store.open(data) as store:
        assert store.path == data / STORE_FILENAME
        assert store.path.exists()
        store.insert_sightings([sighting(1)])
        wal = Path(f"{store.path}-wal")
        assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0
        assert stat.S_IMODE(store.path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_open_configures_wal_full_sync_foreign_keys_and_secure_delete(store: Store):
    assert pragma(store, "journal_mode") == "wal"
    assert pragma(store, "synchronous") == 2  # FULL
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "secure_delete") == 1
    assert pragma(store, "locking_mode") == "exclusive"


def test_data_survives_close_and_reopen(tmp_path: Path):
    with Store.open(tmp_path) as store:
        store.insert_sightings([sighting(1), sighting(2)])
        store.add_own_key(key(1), 5.0)
    with Store.open(tmp_path) as store:
        assert [s.rpi for s in store.sightings()] == [sighting(1).rpi, sighting(2).rpi]
        assert [k.key for k in store.own_keys()] == [key(1)]


def test_closed_store_raises_store_closed(tmp_path: Path):
    store = Store.open(tmp_path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosedError):
        store.count_sightings()
    with pytest.raises(StoreClosedError):
        store.insert_sightings([sighting(1)])
    assert "closed" in repr(store)


def test_using_the_store_from_another_thread_is_a_store_error(store: Store):
    caught: list[BaseException] = []

    def use() -> None:
        try:
            store.count_sightings()
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert len(caught) == 1 and isinstance(caught[0], StoreError)


# -- sightings -------------------------------------------------------------------------------


def test_sightings_round_trip_in_insertion_order(store: Store):
    records = [
        sighting(3),
        sighting(1, address=None),
        sighting(2, rssi=None, aem=None),
        sighting(4, interval=0),
    ]
    assert store.insert_sightings(records) == 4
    stored = store.sightings()
    assert [fields(s) for s in stored] == [fields(r) for r in records]
    ids = [s.sighting_id for s in stored]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert store.count_sightings() == 4


def test_an_empty_batch_inserts_nothing(store: Store):
    assert store.insert_sightings([]) == 0
    assert store.count_sightings() == 0


def test_a_batch_with_one_bad_record_inserts_nothing(store: Store):
    store.insert_sightings([sighting(1)])
    bad = [sighting(2), sighting(3), "not a record"]
    with pytest.raises(InvalidRecordError):
        store.insert_sightings(bad)  # type: ignore[list-item]
    assert store.count_sightings() == 1


def test_sightings_filtered_by_interval_range(store: Store):
    store.insert_sightings([sighting(i, interval=NOW + i) for i in range(5)])
    assert [s.interval for s in store.sightings(NOW + 1, NOW + 3)] == [NOW + 1, NOW + 2]
    assert [s.interval for s in store.sightings(first_interval=NOW + 3)] == [NOW + 3, NOW + 4]
    assert [s.interval for s in store.sightings(end_interval=NOW + 1)] == [NOW]


def test_sightings_for_matching_leave_out_what_is_past_retention(store: Store):
    """spec MATCH-6: sightings older than 14 days are never matched, pruned or not."""
    store.insert_sightings([sighting(1, CUTOFF - 1), sighting(2, CUTOFF), sighting(3, NOW)])
    found = store.sightings_for_matching(NOW)
    assert found == [s.to_protocol() for s in store.sightings(first_interval=CUTOFF)]
    assert found == [
        Sighting(sighting(2).rpi, CUTOFF, sighting(2).aem, -60),
        Sighting(sighting(3).rpi, NOW, sighting(3).aem, -60),
    ]


def test_addresses_are_cleared_after_aggregation(store: Store):
    """spec ADV-14: the address is kept only until aggregation."""
    store.insert_sightings([sighting(i) for i in range(4)] + [sighting(9, address=None)])
    pending = store.sightings_with_address()
    assert len(pending) == 4
    assert store.sightings_with_address(limit=2) == pending[:2]
    assert store.clear_addresses(pending[1].sighting_id) == 2
    after = store.sightings()
    assert [s.address for s in after] == [
        None,
        None,
        sighting(2).address,
        sighting(3).address,
        None,
    ]
    assert [s.address_type for s in after[:2]] == [None, None]
    assert after[2].address_type == "random"
    assert store.sightings_with_address() == pending[2:]
    assert store.clear_addresses(pending[-1].sighting_id) == 2
    assert store.sightings_with_address() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rpi", b"\x00" * 15),
        ("rpi", "00" * 16),
        ("aem", b"\x00" * 5),
        ("interval", -1),
        ("interval", 2**32),
        ("interval", True),
        ("interval", 1.0),
        ("monotonic_time", math.nan),
        ("wall_time", math.inf),
        ("wall_time", "now"),
        ("rssi", 2**31),
        ("rssi", 1.5),
        ("address", b"C0:00"),
        ("address_type", 1),
        ("backend", None),
    ],
)
def test_sighting_record_rejects_bad_fields(field: str, value: object):
    values = dict(zip(SightingRecord.__dataclass_fields__, fields(sighting(1)), strict=True))
    values[field] = value
    with pytest.raises(InvalidRecordError):
        SightingRecord(**values)


# -- own keys and reports (KS-11, KS-12, KS-13) ----------------------------------------------


def test_own_keys_add_find_cut_delete(store: Store):
    first = store.add_own_key(key(1, DAY), 10.0)
    second = store.add_own_key(key(2, DAY + 144), 20.0)
    assert store.own_keys() == [first, second]
    assert store.own_key_at(DAY + 143) == first
    assert store.own_key_at(DAY + 144) == second
    assert store.own_key_at(DAY + 288) is None
    cut = store.cut_own_key(second.key_id, 10)
    assert cut.key.rolling_period == 10 and cut.key.key_data == second.key.key_data
    assert store.own_key_at(DAY + 154) is None
    with pytest.raises(InvalidRecordError):
        store.cut_own_key(second.key_id, 11)  # a cut never lengthens a key
    with pytest.raises(InvalidRecordError):
        store.cut_own_key(second.key_id, 0)
    store.delete_own_key(first.key_id)
    assert store.own_keys() == [cut]
    with pytest.raises(InvalidRecordError):
        store.delete_own_key(first.key_id)


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.clear_addresses("9"),
        lambda store: store.sightings_with_address(limit=1.5),
        lambda store: store.cut_own_key("1", 5),
        lambda store: store.delete_own_key(None),
        lambda store: store.add_report(NOW, 1.0, ["1"]),
        lambda store: store.mark_uploaded(True, [], 1.0),
    ],
)
def test_row_ids_must_be_ints(store: Store, call):
    """SQLite compares text above every integer, so a str id would match every row."""
    store.insert_sightings([sighting(1)])
    with pytest.raises(InvalidRecordError):
        call(store)
    assert store.sightings()[0].address is not None


def test_the_same_key_data_is_never_stored_twice(store: Store):
    """spec KS-14: a TEK is never reused."""
    store.add_own_key(key(1, DAY), 1.0)
    with pytest.raises(InvalidRecordError):
        store.add_own_key(key(1, DAY + 144), 2.0)
    assert len(store.own_keys()) == 1


def test_newest_key_wins_where_two_hold_an_interval(store: Store):
    store.add_own_key(key(1, DAY), 1.0)
    newer = store.add_own_key(key(2, DAY + 5, 139), 2.0)
    assert store.own_key_at(DAY + 5) == newer


def test_report_keys_are_due_only_after_their_embargo(store: Store):
    """spec KS-12: upload once now >= rolling_start + rolling_period + 12."""
    old = store.add_own_key(key(1, DAY - 144), 1.0)
    cut = store.add_own_key(key(2, DAY, 30), 2.0)
    report = store.add_report(DAY + 30, 3.0, [old.key_id, cut.key_id])
    assert [r.key for r in report.keys] == [old, cut]
    assert all(r.uploaded_wall_time is None for r in report.keys)
    assert store.keys_due_for_upload(DAY + 11) == []
    assert store.keys_due_for_upload(DAY + 12) == [(report.report_id, old)]
    assert store.keys_due_for_upload(DAY + 41) == [(report.report_id, old)]
    assert store.keys_due_for_upload(DAY + 42) == [(report.report_id, old), (report.report_id, cut)]
    store.mark_uploaded(report.report_id, [old.key_id], 50.0)
    assert store.keys_due_for_upload(DAY + 42) == [(report.report_id, cut)]
    with pytest.raises(InvalidRecordError):
        store.mark_uploaded(report.report_id, [old.key_id], 51.0)
    (again,) = store.reports()
    assert [r.uploaded_wall_time for r in again.keys] == [50.0, None]


def test_a_report_naming_an_unknown_key_writes_nothing(store: Store):
    known = store.add_own_key(key(1), 1.0)
    with pytest.raises(InvalidRecordError):
        store.add_report(DAY, 2.0, [known.key_id, known.key_id + 100])
    assert store.reports() == []


def test_mark_uploaded_is_all_or_nothing(store: Store):
    a = store.add_own_key(key(1, DAY - 144), 1.0)
    b = store.add_own_key(key(2, DAY - 288), 1.0)
    report = store.add_report(DAY, 2.0, [a.key_id])
    with pytest.raises(InvalidRecordError):
        store.mark_uploaded(report.report_id, [a.key_id, b.key_id], 3.0)
    assert [r.uploaded_wall_time for r in store.reports()[0].keys] == [None]


# -- batches and exposure checks -------------------------------------------------------------


def test_batches_are_recorded_once_and_conflicts_detected(store: Store):
    batch = BatchRecord("2025-11-23/1", b"\x01" * 32, NOW, 100.0)
    assert store.record_batch(batch) is True
    assert store.record_batch(BatchRecord("2025-11-23/1", b"\x01" * 32, NOW + 1, 200.0)) is False
    assert store.batch("2025-11-23/1") == batch
    assert store.batch("missing") is None
    with pytest.raises(BatchConflictError):
        store.record_batch(BatchRecord("2025-11-23/1", b"\x02" * 32, NOW, 300.0))
    store.record_batch(BatchRecord("2025-11-23/2", b"\x03" * 32, NOW, 150.0))
    assert [b.batch_id for b in store.batches()] == ["2025-11-23/1", "2025-11-23/2"]


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_id": ""}, {"digest": b""}, {"digest": "ab"}, {"seen_interval": -1}],
)
def test_batch_record_rejects_bad_fields(kwargs: dict):
    values = {"batch_id": "b", "digest": b"\x01", "seen_interval": NOW, "seen_wall_time": 1.0}
    with pytest.raises(InvalidRecordError):
        BatchRecord(**{**values, **kwargs})


def test_exposure_checks_round_trip(store: Store):
    store.record_batch(BatchRecord("b1", b"\x01", NOW, 1.0))
    record = ExposureCheckRecord(NOW, 2.0, ("b1",), 5000, 3, {"risk": "low", "windows": [1, 2]})
    stored = store.add_exposure_check(record)
    assert store.exposure_checks() == [stored]
    assert stored.details == {"risk": "low", "windows": [1, 2]}
    assert stored.batch_ids == ("b1",) and stored.keys_checked == 5000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"details": {"x": math.nan}},
        {"details": {"x": object()}},
        {"details": [1]},
        {"batch_ids": ["b1"]},
        {"batch_ids": (1,)},
        {"keys_checked": -1},
        {"matched_sightings": True},
    ],
)
def test_exposure_check_record_rejects_bad_fields(kwargs: dict):
    values = {
        "checked_interval": NOW,
        "checked_wall_time": 1.0,
        "batch_ids": (),
        "keys_checked": 0,
        "matched_sightings": 0,
        "details": {},
    }
    with pytest.raises(InvalidRecordError):
        ExposureCheckRecord(**{**values, **kwargs})


def test_store_methods_check_the_record_type(store: Store):
    with pytest.raises(InvalidRecordError):
        store.record_batch(("b1", b"\x01", NOW, 1.0))  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError):
        store.add_exposure_check({})  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError):
        store.add_own_key(b"\x00" * 16, 1.0)  # type: ignore[arg-type]


# -- transactions ----------------------------------------------------------------------------


def test_a_transaction_commits_all_or_nothing(store: Store):
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_sightings([sighting(1)])
        store.add_own_key(key(1), 1.0)
        raise RuntimeError("interrupted")
    assert store.count_sightings() == 0 and store.own_keys() == []
    with store.transaction():
        store.insert_sightings([sighting(1)])
        store.add_own_key(key(1), 1.0)
    assert store.count_sightings() == 1 and len(store.own_keys()) == 1


def test_a_failed_write_inside_a_transaction_rolls_back_the_whole_of_it(store: Store):
    with pytest.raises(InvalidRecordError), store.transaction():
        store.insert_sightings([sighting(1)])
        store.add_own_key(key(1), 1.0)
        store.add_own_key(key(1, DAY + 144), 2.0)  # repeated key data
    assert store.count_sightings() == 0 and store.own_keys() == []


def test_an_error_caught_inside_a_transaction_is_typed_and_the_rest_commits(store: Store):
    with store.transaction():
        store.insert_sightings([sighting(1)])
        store.add_own_key(key(1), 1.0)
        with pytest.raises(InvalidRecordError):
            store.add_own_key(key(1, DAY + 144), 2.0)
        store.add_own_key(key(2, DAY + 144), 3.0)
    assert store.count_sightings() == 1
    assert [k.key for k in store.own_keys()] == [key(1), key(2, DAY + 144)]


# -- retention (MATCH-6, KS-11) --------------------------------------------------------------


def test_prune_deletes_sightings_older_than_14_days(store: Store):
    store.insert_sightings([sighting(1, CUTOFF - 1), sighting(2, CUTOFF), sighting(3, NOW)])
    result = store.prune(NOW)
    assert result == PruneResult(sightings=1, keys=0, reports=0, batches=0, exposure_checks=0)
    assert [s.interval for s in store.sightings()] == [CUTOFF, NOW]
    assert store.prune(NOW).sightings == 0


def test_prune_deletes_keys_whose_last_interval_is_past_retention(store: Store):
    """spec KS-11: a key goes once no sighting of its identifiers can still be kept."""
    gone = store.add_own_key(key(1, CUTOFF - 10, 10), 1.0)  # last interval CUTOFF - 1
    kept = store.add_own_key(key(2, CUTOFF - 10, 11), 1.0)  # last interval CUTOFF
    store.add_report(CUTOFF, 2.0, [gone.key_id, kept.key_id])
    assert store.prune(NOW).keys == 1
    assert store.own_keys() == [kept]
    (report,) = store.reports()
    assert [r.key for r in report.keys] == [kept]


def test_prune_deletes_old_reports_batches_and_checks(store: Store):
    store.add_report(CUTOFF - 1, 1.0, [])
    store.add_report(CUTOFF, 2.0, [])
    store.record_batch(BatchRecord("old", b"\x01", CUTOFF - 1, 1.0))
    store.record_batch(BatchRecord("new", b"\x02", CUTOFF, 2.0))
    store.add_exposure_check(ExposureCheckRecord(CUTOFF - 1, 1.0, ("old",), 1, 0, {}))
    store.add_exposure_check(ExposureCheckRecord(CUTOFF, 2.0, ("new",), 1, 0, {}))
    result = store.prune(NOW)
    assert (result.reports, result.batches, result.exposure_checks) == (1, 1, 1)
    assert [r.made_interval for r in store.reports()] == [CUTOFF]
    assert [b.batch_id for b in store.batches()] == ["new"]
    assert [c.checked_interval for c in store.exposure_checks()] == [CUTOFF]


def test_prune_early_in_time_keeps_everything(store: Store):
    store.insert_sightings([sighting(1, 0), sighting(2, 5)])
    assert store.prune(100).sightings == 0
    assert store.count_sightings() == 2


def test_pruned_rows_leave_the_file_and_the_log(store: Store):
    """Deleted sightings are overwritten in the file and the log is truncated (ADV-14)."""
    records = [sighting(0x5EC0DE00 + i, CUTOFF - 1 if i % 2 else NOW) for i in range(400)]
    store.insert_sightings(records)
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.stat().st_size > 0
    assert store.prune(NOW).sightings == 200
    assert wal.stat().st_size == 0
    data = store.path.read_bytes()
    assert [r.rpi in data for r in records] == [i % 2 == 0 for i in range(400)]


def test_pruned_keys_leave_no_trace_on_disk(store: Store):
    """spec KS-11: a deleted TEK must not survive anywhere, the log included."""
    old = [key(n, CUTOFF - 144 - n) for n in range(1, 6)]
    for k in old:
        store.add_own_key(k, 1.0)
    current = store.add_own_key(key(9, NOW), 2.0)
    assert store.prune(NOW).keys == 5
    wal = Path(f"{store.path}-wal")
    on_disk = store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert all(k.key_data not in on_disk for k in old)
    assert current.key.key_data in on_disk


def test_integrity_check_reports_ok(store: Store):
    store.insert_sightings([sighting(i) for i in range(10)])
    assert store.integrity_check() == ["ok"]


def test_repr_shows_no_rows(store: Store):
    store.insert_sightings([sighting(0xABCDEF)])
    assert "abcdef" not in repr(store).lower()
