"""The store's uploads (spec KS-13, SRV-4..SRV-7) and transparency-log state (SRV-17, LOG-11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store import CachedBatch, ServerLogState, Store, UploadRecord
from tests.reference_node.store.conftest import DAY, NOW

SECRET = bytes(range(32))
TOKEN = bytes(range(100, 132))
ORIGIN = "bluezone.test/log"


def reported(store: Store) -> tuple[int, list[int]]:
    """A report of two keys (yesterday's and today's, cut); return its id and the key ids."""
    old = store.add_own_key(TemporaryExposureKey(b"\x01" * 16, DAY - 144, 144), 1.0)
    cut = store.add_own_key(TemporaryExposureKey(b"\x02" * 16, DAY, 31), 2.0)
    report = store.add_report(DAY + 30, 3.0, [old.key_id, cut.key_id])
    return report.report_id, [old.key_id, cut.key_id]


def planned(report_id: int, key_ids: list[int]) -> UploadRecord:
    return UploadRecord(report_id, "http://127.0.0.1:8080", SECRET, tuple(key_ids), DAY + 43, 4.0)


def test_an_upload_goes_from_exchanging_to_waiting_to_uploaded(store: Store):
    report_id, key_ids = reported(store)
    upload = store.add_upload(planned(report_id, key_ids))
    assert upload.state == "exchanging" and upload.token is None
    upload = store.set_upload_token(report_id, TOKEN, 1_800_000_000)
    assert (upload.state, upload.token, upload.token_expires_s) == (
        "waiting",
        TOKEN,
        1_800_000_000,
    )
    upload = store.finish_upload(report_id, 2, 5.0)
    assert (upload.state, upload.accepted, upload.uploaded_wall_time) == ("uploaded", 2, 5.0)
    (report,) = store.reports()
    assert [k.uploaded_wall_time for k in report.keys] == [5.0, 5.0]
    assert store.uploaded_key_ids() == set(key_ids)
    assert store.uploads() == [upload]


def test_a_failed_upload_keeps_its_reason_and_refuses_to_finish(store: Store):
    report_id, key_ids = reported(store)
    store.add_upload(planned(report_id, key_ids))
    store.set_upload_token(report_id, TOKEN, 1_800_000_000)
    assert store.fail_upload(report_id, "token_expired").state == "failed"
    with pytest.raises(InvalidRecordError):
        store.finish_upload(report_id, 2, 5.0)
    with pytest.raises(InvalidRecordError):
        store.fail_upload(report_id, "again")
    assert store.upload(report_id).failure == "token_expired"
    assert store.uploaded_key_ids() == set()


def test_a_token_is_stored_once_and_only_before_the_upload(store: Store):
    report_id, key_ids = reported(store)
    store.add_upload(planned(report_id, key_ids))
    with pytest.raises(InvalidRecordError):
        store.finish_upload(report_id, 2, 5.0)  # no token yet
    store.set_upload_token(report_id, TOKEN, 1_800_000_000)
    with pytest.raises(InvalidRecordError):
        store.set_upload_token(report_id, TOKEN, 1_800_000_000)


def test_an_upload_holds_only_keys_of_its_report(store: Store):
    report_id, key_ids = reported(store)
    stranger = store.add_own_key(TemporaryExposureKey(b"\x03" * 16, DAY + 31, 113), 5.0)
    with pytest.raises(InvalidRecordError):
        store.add_upload(planned(report_id, [key_ids[0], stranger.key_id]))
    assert store.uploads() == []


@pytest.mark.parametrize(
    "change",
    [
        {"hmac_secret": b"short"},
        {"key_ids": ()},
        {"key_ids": ("1",)},
        {"due_interval": -1},
        {"server_url": None},
    ],
)
def test_malformed_upload_records_are_refused(change):
    fields = {
        "report_id": 1,
        "server_url": "http://x",
        "hmac_secret": SECRET,
        "key_ids": (1,),
        "due_interval": NOW,
        "created_wall_time": 1.0,
    } | change
    with pytest.raises(InvalidRecordError):
        UploadRecord(**fields)


def test_the_secret_and_token_never_show_in_reprs(store: Store):
    report_id, key_ids = reported(store)
    store.add_upload(planned(report_id, key_ids))
    upload = store.set_upload_token(report_id, TOKEN, 1_800_000_000)
    for text in (repr(upload), repr(planned(report_id, key_ids))):
        assert SECRET.hex()[:8] not in text and "\\x00\\x01" not in text
        assert TOKEN.hex()[:8] not in text


def test_an_upload_goes_with_its_report(store: Store):
    report_id, key_ids = reported(store)
    store.add_upload(planned(report_id, key_ids))
    store.prune(DAY + 30 + params.RETENTION_INTERVALS + 1)
    assert store.reports() == [] and store.uploads() == []


def test_uploads_survive_a_restart(tmp_path: Path):
    with Store.open(tmp_path) as store:
        report_id, key_ids = reported(store)
        store.add_upload(planned(report_id, key_ids))
        store.set_upload_token(report_id, TOKEN, 1_800_000_000)
    with Store.open(tmp_path) as store:
        (upload,) = store.uploads()
        assert upload.state == "waiting" and upload.hmac_secret == SECRET
        assert upload.key_ids == tuple(key_ids)


def log_state(tree_size: int, next_batch: int | None = None) -> ServerLogState:
    return ServerLogState(
        ORIGIN,
        "bluezone.test/log+01234567+AQ==",
        f"checkpoint {tree_size}\n".encode(),
        tree_size,
        tree_size if next_batch is None else next_batch,
        9.0,
    )


def cached(number: int, end_s: int) -> CachedBatch:
    return CachedBatch(ORIGIN, number, bytes([number]) * 32, end_s, b"zip" + bytes([number]))


def test_a_log_state_is_stored_with_its_batches(store: Store):
    assert store.server_log(ORIGIN) is None
    store.save_server_log(log_state(2), [cached(0, 100), cached(1, 200)])
    assert store.server_log(ORIGIN) == log_state(2)
    assert [b.number for b in store.server_batches(ORIGIN)] == [0, 1]
    assert [b.number for b in store.server_batches(ORIGIN, since_s=150)] == [1]
    store.save_server_log(log_state(3, next_batch=2), [cached(1, 200)])  # downloaded again
    assert store.server_log(ORIGIN).next_batch == 2
    assert store.server_batches(ORIGIN) == [cached(0, 100), cached(1, 200)]


def test_an_accepted_log_never_shrinks(store: Store):
    store.save_server_log(log_state(3), [])
    with pytest.raises(InvalidRecordError):
        store.save_server_log(log_state(2), [])
    assert store.server_log(ORIGIN).tree_size == 3


def test_a_batch_past_the_checkpoint_writes_nothing(store: Store):
    with pytest.raises(InvalidRecordError):
        store.save_server_log(log_state(1), [cached(0, 100), cached(1, 200)])
    assert store.server_log(ORIGIN) is None and store.server_batches(ORIGIN) == []


@pytest.mark.parametrize(
    "change", [{"tree_size": -1}, {"next_batch": 5}, {"checkpoint": b""}, {"origin": 7}]
)
def test_malformed_log_states_are_refused(change):
    fields = {
        "origin": ORIGIN,
        "log_key": "k",
        "checkpoint": b"note",
        "tree_size": 2,
        "next_batch": 2,
        "updated_wall_time": 1.0,
    } | change
    with pytest.raises(InvalidRecordError):
        ServerLogState(**fields)


def test_prune_deletes_batches_that_ended_before_the_retention_window(store: Store):
    cutoff_s = (NOW - params.RETENTION_INTERVALS) * params.INTERVAL_SECONDS
    store.save_server_log(log_state(2), [cached(0, cutoff_s - 1), cached(1, cutoff_s)])
    result = store.prune(NOW)
    assert result.downloaded_batches == 1
    assert [b.number for b in store.server_batches(ORIGIN)] == [1]
    assert store.server_log(ORIGIN) is not None  # the checkpoint stays: consistency needs it
