"""Fixtures and record builders shared by the store's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.reference_node.store import SightingRecord, Store

# 2025-11-23 00:00 UTC as an ENIntervalNumber: a UTC midnight (KS-3).
DAY = 2_940_624
NOW = DAY + 10 * params.INTERVALS_PER_DAY


def sighting(
    n: int,
    interval: int = NOW,
    *,
    address: str | None = "C0:00:00:00:00:01",
    rssi: int | None = -60,
    aem: bytes | None = b"\x40\xf8\x00\x00",
) -> SightingRecord:
    """Return a sighting whose RPI encodes ``n`` (so tests can find it again)."""
    return SightingRecord(
        rpi=n.to_bytes(16, "big"),
        aem=aem,
        interval=interval,
        monotonic_time=1000.0 + n,
        wall_time=interval * params.INTERVAL_SECONDS + 1.5,
        rssi=rssi,
        address=address,
        address_type=None if address is None else "random",
        backend="sim",
    )


def fields(record: SightingRecord) -> tuple[object, ...]:
    """Return a sighting's logged fields, without the store's row id."""
    return record.as_row()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store in a temporary data directory, closed after the test."""
    with Store.open(tmp_path / "data") as opened:
        yield opened
