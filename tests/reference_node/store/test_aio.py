"""The async facade: the same API, every call in one dedicated thread, in call order."""

from __future__ import annotations

import asyncio
import inspect
import threading
from pathlib import Path

import pytest

from bluezone.reference_node.errors import StoreClosedError, StoreLockedError
from bluezone.reference_node.store import AsyncStore, Store
from tests.reference_node.store.conftest import fields, sighting


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_store_method_has_an_async_counterpart():
    sync_only = {"open", "close", "transaction"}  # lifecycle; transactions go through run()
    missing = public_methods(Store) - sync_only - public_methods(AsyncStore)
    assert missing == set()
    for name in public_methods(Store) - sync_only:
        assert inspect.iscoroutinefunction(getattr(AsyncStore, name)), name
        sync_params = list(inspect.signature(getattr(Store, name)).parameters)
        async_params = list(inspect.signature(getattr(AsyncStore, name)).parameters)
        assert sync_params == async_params, name


def test_calls_run_in_one_thread_that_is_not_the_loops(tmp_path: Path):
    async def scenario() -> tuple[set[int], int]:
        async with await AsyncStore.open(tmp_path) as store:
            threads = {await store.run(threading.get_ident) for _ in range(5)}
            await store.insert_sightings([sighting(1)])
            threads.add(await store.run(threading.get_ident))
            return threads, threading.get_ident()

    threads, loop_thread = asyncio.run(scenario())
    assert len(threads) == 1
    assert loop_thread not in threads


def test_concurrent_writes_all_land_in_call_order(tmp_path: Path):
    async def scenario() -> list[bytes]:
        async with await AsyncStore.open(tmp_path) as store:
            await asyncio.gather(
                *(
                    store.insert_sightings([sighting(i * 10 + j) for j in range(10)])
                    for i in range(20)
                )
            )
            return [s.rpi for s in await store.sightings()]

    assert asyncio.run(scenario()) == [sighting(n).rpi for n in range(200)]


def test_round_trip_and_composite_work_through_run(tmp_path: Path):
    def two_writes(store: Store) -> int:
        with store.transaction():
            store.insert_sightings([sighting(1)])
            store.insert_sightings([sighting(2)])
        return store.count_sightings()

    async def scenario() -> None:
        async with await AsyncStore.open(tmp_path) as store:
            assert await store.run(two_writes, store.store) == 2
            stored = await store.sightings()
            assert [fields(s) for s in stored] == [fields(sighting(1)), fields(sighting(2))]
            assert await store.integrity_check() == ["ok"]
            assert "AsyncStore" in repr(store)

    asyncio.run(scenario())


def test_errors_arrive_typed_and_a_closed_store_refuses_calls(tmp_path: Path):
    async def scenario() -> None:
        store = await AsyncStore.open(tmp_path)
        with pytest.raises(StoreLockedError):
            await AsyncStore.open(tmp_path, busy_timeout_s=0.05)
        await store.close()
        await store.close()
        with pytest.raises(StoreClosedError):
            await store.count_sightings()
        again = await AsyncStore.open(tmp_path, busy_timeout_s=0.05)
        await again.close()

    asyncio.run(scenario())


def test_the_store_thread_ends_after_close(tmp_path: Path):
    async def scenario() -> threading.Thread:
        store = await AsyncStore.open(tmp_path)
        ident = await store.run(threading.get_ident)
        (thread,) = [t for t in threading.enumerate() if t.ident == ident]
        await store.close()
        return thread

    thread = asyncio.run(scenario())
    thread.join(timeout=5)
    assert not thread.is_alive()
