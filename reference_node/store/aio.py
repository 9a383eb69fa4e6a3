"""The store for the event loop: every call runs in one dedicated thread, in call order.

SQLite calls block on the disk (a commit waits for fsync), so the node never makes them
on the event loop. ``AsyncStore`` owns a one-thread executor; the ``Store`` is opened,
used and closed in that thread only. A cancelled await does not undo a call that already
started: the write still commits or rolls back as a whole.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.matching import Sighting
from bluezone.reference_node.errors import StoreClosedError
from bluezone.reference_node.store.records import (
    BatchRecord,
    CachedBatch,
    ExposureCheckRecord,
    PruneResult,
    ScanRecord,
    ServerLogState,
    SightingRecord,
    StoredExposureCheck,
    StoredKey,
    StoredReport,
    StoredScan,
    StoredSighting,
    StoredUpload,
    UploadRecord,
)
from bluezone.reference_node.store.store import DEFAULT_BUSY_TIMEOUT_S, Store

P = ParamSpec("P")
T = TypeVar("T")


class AsyncStore:
    """A ``Store`` driven from asyncio: the same methods, awaited."""

    def __init__(self, store: Store, executor: ThreadPoolExecutor) -> None:
        """Wrap a store opened in ``executor``'s thread; use ``AsyncStore.open`` instead."""
        self._store = store
        self._executor: ThreadPoolExecutor | None = executor

    @classmethod
    async def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        max_size_bytes: int | None = None,
        check_integrity: bool = True,
    ) -> AsyncStore:
        """Start the store's thread and open the store there (see ``Store.open``)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bluezone-store")
        opener = functools.partial(
            Store.open,
            data_dir,
            busy_timeout_s=busy_timeout_s,
            max_size_bytes=max_size_bytes,
            check_integrity=check_integrity,
        )
        try:
            store = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor)

    @property
    def store(self) -> Store:
        """The synchronous store. Call it only through ``run``, never from the loop."""
        return self._store

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` in the store's thread and return its result.

        For work that composes several store calls, e.g. inside ``store.transaction()``.
        """
        if self._executor is None:
            raise StoreClosedError("the store is closed")
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Close the store in its thread, then let the thread end. Idempotent."""
        if self._executor is None:
            return
        try:
            await self.run(self._store.close)
        finally:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncStore({self._store!r})"

    async def add_own_key(self, key: TemporaryExposureKey, created_wall_time: float) -> StoredKey:
        """See ``Store.add_own_key``."""
        return await self.run(self._store.add_own_key, key, created_wall_time)

    async def cut_own_key(self, key_id: int, rolling_period: int) -> StoredKey:
        """See ``Store.cut_own_key``."""
        return await self.run(self._store.cut_own_key, key_id, rolling_period)

    async def delete_own_key(self, key_id: int) -> None:
        """See ``Store.delete_own_key``."""
        await self.run(self._store.delete_own_key, key_id)

    async def own_keys(self) -> list[StoredKey]:
        """See ``Store.own_keys``."""
        return await self.run(self._store.own_keys)

    async def own_key_at(self, interval: int) -> StoredKey | None:
        """See ``Store.own_key_at``."""
        return await self.run(self._store.own_key_at, interval)

    async def insert_sightings(self, records: Sequence[SightingRecord]) -> int:
        """See ``Store.insert_sightings``."""
        return await self.run(self._store.insert_sightings, records)

    async def sightings(
        self, first_interval: int | None = None, end_interval: int | None = None
    ) -> list[StoredSighting]:
        """See ``Store.sightings``."""
        return await self.run(self._store.sightings, first_interval, end_interval)

    async def sightings_for_matching(self, now_interval: int) -> list[Sighting]:
        """See ``Store.sightings_for_matching``."""
        return await self.run(self._store.sightings_for_matching, now_interval)

    async def count_sightings(self) -> int:
        """See ``Store.count_sightings``."""
        return await self.run(self._store.count_sightings)

    async def sightings_with_address(self, limit: int | None = None) -> list[StoredSighting]:
        """See ``Store.sightings_with_address``."""
        return await self.run(self._store.sightings_with_address, limit)

    async def clear_addresses(self, through_id: int) -> int:
        """See ``Store.clear_addresses``."""
        return await self.run(self._store.clear_addresses, through_id)

    async def add_scan(self, scan: ScanRecord) -> StoredScan:
        """See ``Store.add_scan``."""
        return await self.run(self._store.add_scan, scan)

    async def scans(self, first_interval: int | None = None) -> list[StoredScan]:
        """See ``Store.scans``."""
        return await self.run(self._store.scans, first_interval)

    async def last_scan_end(self) -> float | None:
        """See ``Store.last_scan_end``."""
        return await self.run(self._store.last_scan_end)

    async def add_report(
        self, made_interval: int, made_wall_time: float, key_ids: Sequence[int]
    ) -> StoredReport:
        """See ``Store.add_report``."""
        return await self.run(self._store.add_report, made_interval, made_wall_time, key_ids)

    async def reports(self) -> list[StoredReport]:
        """See ``Store.reports``."""
        return await self.run(self._store.reports)

    async def keys_due_for_upload(self, now_interval: int) -> list[tuple[int, StoredKey]]:
        """See ``Store.keys_due_for_upload``."""
        return await self.run(self._store.keys_due_for_upload, now_interval)

    async def mark_uploaded(self, report_id: int, key_ids: Sequence[int], wall_time: float) -> None:
        """See ``Store.mark_uploaded``."""
        await self.run(self._store.mark_uploaded, report_id, key_ids, wall_time)

    async def record_batch(self, batch: BatchRecord) -> bool:
        """See ``Store.record_batch``."""
        return await self.run(self._store.record_batch, batch)

    async def batch(self, batch_id: str) -> BatchRecord | None:
        """See ``Store.batch``."""
        return await self.run(self._store.batch, batch_id)

    async def batches(self) -> list[BatchRecord]:
        """See ``Store.batches``."""
        return await self.run(self._store.batches)

    async def add_exposure_check(self, check: ExposureCheckRecord) -> StoredExposureCheck:
        """See ``Store.add_exposure_check``."""
        return await self.run(self._store.add_exposure_check, check)

    async def exposure_checks(self) -> list[StoredExposureCheck]:
        """See ``Store.exposure_checks``."""
        return await self.run(self._store.exposure_checks)

    async def add_upload(self, upload: UploadRecord) -> StoredUpload:
        """See ``Store.add_upload``."""
        return await self.run(self._store.add_upload, upload)

    async def upload(self, report_id: int) -> StoredUpload:
        """See ``Store.upload``."""
        return await self.run(self._store.upload, report_id)

    async def uploads(self) -> list[StoredUpload]:
        """See ``Store.uploads``."""
        return await self.run(self._store.uploads)

    async def set_upload_token(self, report_id: int, token: bytes, expires_s: int) -> StoredUpload:
        """See ``Store.set_upload_token``."""
        return await self.run(self._store.set_upload_token, report_id, token, expires_s)

    async def finish_upload(
        self,
        report_id: int,
        accepted: int,
        wall_time: float,
        dropped_key_ids: tuple[int, ...] = (),
    ) -> StoredUpload:
        """See ``Store.finish_upload``."""
        return await self.run(
            self._store.finish_upload, report_id, accepted, wall_time, dropped_key_ids
        )

    async def fail_upload(self, report_id: int, failure: str) -> StoredUpload:
        """See ``Store.fail_upload``."""
        return await self.run(self._store.fail_upload, report_id, failure)

    async def uploaded_key_ids(self) -> set[int]:
        """See ``Store.uploaded_key_ids``."""
        return await self.run(self._store.uploaded_key_ids)

    async def own_key(self, key_id: int) -> StoredKey:
        """See ``Store.own_key``."""
        return await self.run(self._store.own_key, key_id)

    async def server_log(self, origin: str) -> ServerLogState | None:
        """See ``Store.server_log``."""
        return await self.run(self._store.server_log, origin)

    async def save_server_log(self, state: ServerLogState, batches: Sequence[CachedBatch]) -> None:
        """See ``Store.save_server_log``."""
        await self.run(self._store.save_server_log, state, batches)

    async def server_batches(self, origin: str, since_s: int = 0) -> list[CachedBatch]:
        """See ``Store.server_batches``."""
        return await self.run(self._store.server_batches, origin, since_s)

    async def prune(self, now_interval: int) -> PruneResult:
        """See ``Store.prune``."""
        return await self.run(self._store.prune, now_interval)

    async def integrity_check(self) -> list[str]:
        """See ``Store.integrity_check``."""
        return await self.run(self._store.integrity_check)
