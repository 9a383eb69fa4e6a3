"""Shared pieces of the key-server tests: a server in the test's event loop, keys, clock."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bluezone.protocol.keys import TemporaryExposureKey, day_start_interval, interval_number
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.runner import RunningServer, ServerConfig, start_server

from .postgres_fixture import throwaway_postgres
from .timing import settled

HA_API_KEY = "test-health-authority-key-0123456789"
ORIGIN = "bluezone.test/log"
GENEROUS = Rate(per_minute=600_000, burst=10_000)
# An interval after every key's embargo: storage queries at it see every stored key.
FAR_FUTURE = 2**40


class Clock:
    """A settable clock in unix seconds, starting at the real time, settled (see timing)."""

    def __init__(self, now: float | None = None) -> None:
        self.now = settled(time.time()) if now is None else now

    def __call__(self) -> float:
        return self.now


def config_for(tmp_path: Path, **changes) -> ServerConfig:
    """A test server's configuration: loopback, free port, no schedule, small batches."""
    base = ServerConfig(
        data_dir=tmp_path / "server",
        origin=ORIGIN,
        port=0,
        ha_api_key=HA_API_KEY,
        publisher=PublisherConfig(region="TEST", min_batch_keys=20),
        ha_rate=GENEROUS,
        client_rate=GENEROUS,
        durable=False,
        schedule=False,
        test_identity=True,
    )
    return dataclasses.replace(base, **changes)


@contextlib.asynccontextmanager
async def running(config: ServerConfig, clock: Clock | None = None) -> AsyncIterator[RunningServer]:
    """Start a server in the current event loop and stop it after the block."""
    server = await start_server(config, clock=clock or time.time)
    try:
        yield server
    finally:
        await server.stop()


def past_keys(rng: random.Random, now_s: float, days: int = 3) -> list[TemporaryExposureKey]:
    """Full-day keys of the ``days`` UTC days before today (all past their embargo)."""
    today = day_start_interval(interval_number(now_s))
    return [
        TemporaryExposureKey(rng.randbytes(16), today - 144 * d, 144) for d in range(1, days + 1)
    ]


def run(coro):
    """Run a coroutine to completion in a fresh event loop."""
    return asyncio.run(coro)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(6)


@contextlib.asynccontextmanager
async def serving(
    config: ServerConfig, clock: Clock | None = None
) -> AsyncIterator[tuple[RunningServer, KeyServerClient]]:
    """Start a server and a client of it; stop both after the block."""
    async with running(config, clock) as server, KeyServerClient(server.url) as client:
        yield server, client


async def http(method: str, url: str, **kwargs) -> tuple[int, dict[str, str], bytes]:
    """Make one raw HTTP request; return status, headers and body."""
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as r:
        return r.status, dict(r.headers), await r.read()


def ha_headers() -> dict[str, str]:
    """The Authorization header of the test health authority."""
    return {"Authorization": f"Bearer {HA_API_KEY}"}


@pytest.fixture(scope="session")
def postgres_dsn():
    """DSN of a throwaway PostgreSQL for this test session (see postgres_fixture)."""
    with throwaway_postgres() as dsn:
        yield dsn


_database_counter = iter(range(1, 10**9))


async def fresh_postgres_database(dsn: str) -> str:
    """Create an empty database on the throwaway server; return its DSN."""
    import asyncpg

    name = f"bluezone_test_{next(_database_counter)}_{os.getpid()}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return dsn.rsplit("/", 1)[0] + "/" + name
