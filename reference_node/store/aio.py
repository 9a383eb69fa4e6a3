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
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, TypeVar

from bluezone.reference_node.errors import StoreClosedError
from bluezone.reference_node.store.store import DEFAULT_BUSY_TIMEOUT_S, Store

P = ParamSpec("P")
T = TypeVar("T")


def in_store_thread(
    method: Callable[Concatenate[Store, P], T],
) -> Callable[Concatenate[AsyncStore, P], Coroutine[Any, Any, T]]:
    """Make ``Store.method`` a method of AsyncStore, awaited through ``AsyncStore.run``.

    The wrapper keeps the store method's parameters, result type and docstring, for type
    checkers (through ParamSpec), ``inspect.signature`` and ``help`` alike.
    """

    @functools.wraps(method)
    async def call(self: AsyncStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.run(functools.partial(method, self._store, *args, **kwargs))

    call.__module__ = __name__
    call.__qualname__ = f"AsyncStore.{method.__name__}"
    return call


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

    # The Store's methods, each awaited in the store's thread (typed by in_store_thread).
    add_own_key = in_store_thread(Store.add_own_key)
    cut_own_key = in_store_thread(Store.cut_own_key)
    delete_own_key = in_store_thread(Store.delete_own_key)
    own_keys = in_store_thread(Store.own_keys)
    own_key_at = in_store_thread(Store.own_key_at)
    insert_sightings = in_store_thread(Store.insert_sightings)
    sightings = in_store_thread(Store.sightings)
    sightings_for_matching = in_store_thread(Store.sightings_for_matching)
    count_sightings = in_store_thread(Store.count_sightings)
    sightings_with_address = in_store_thread(Store.sightings_with_address)
    clear_addresses = in_store_thread(Store.clear_addresses)
    add_scan = in_store_thread(Store.add_scan)
    scans = in_store_thread(Store.scans)
    last_scan_end = in_store_thread(Store.last_scan_end)
    add_report = in_store_thread(Store.add_report)
    reports = in_store_thread(Store.reports)
    keys_due_for_upload = in_store_thread(Store.keys_due_for_upload)
    mark_uploaded = in_store_thread(Store.mark_uploaded)
    record_batch = in_store_thread(Store.record_batch)
    batch = in_store_thread(Store.batch)
    batches = in_store_thread(Store.batches)
    add_exposure_check = in_store_thread(Store.add_exposure_check)
    exposure_checks = in_store_thread(Store.exposure_checks)
    add_upload = in_store_thread(Store.add_upload)
    upload = in_store_thread(Store.upload)
    uploads = in_store_thread(Store.uploads)
    set_upload_token = in_store_thread(Store.set_upload_token)
    finish_upload = in_store_thread(Store.finish_upload)
    fail_upload = in_store_thread(Store.fail_upload)
    uploaded_key_ids = in_store_thread(Store.uploaded_key_ids)
    own_key = in_store_thread(Store.own_key)
    server_log = in_store_thread(Store.server_log)
    save_server_log = in_store_thread(Store.save_server_log)
    server_batches = in_store_thread(Store.server_batches)
    prune = in_store_thread(Store.prune)
    integrity_check = in_store_thread(Store.integrity_check)
    insert_legacy_sightings = in_store_thread(Store.insert_legacy_sightings)
    legacy_sightings = in_store_thread(Store.legacy_sightings)
    add_legacy_check = in_store_thread(Store.add_legacy_check)
    legacy_checks = in_store_thread(Store.legacy_checks)
