"""The device identity: its current temporary exposure key and 14 days of history.

A new key starts at each UTC midnight, after a report, and whenever no key holds the
current interval (spec KS-3, KS-13). A key is written to the store, durably, before it is
returned for broadcasting, so a crash can never leave identifiers on air whose key is
lost. Keys are never logged or printed in full, and come from the injected
``random_bytes`` (a CSPRNG: ``secrets.token_bytes`` unless a test passes a seeded source).

``DeviceIdentity`` is synchronous and runs in the store's thread; the node uses
``AsyncDeviceIdentity``, which sends each call to that thread through ``AsyncStore.run``.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import (
    TemporaryExposureKey,
    cut_for_report,
    interval_number,
    new_temporary_exposure_key,
)
from bluezone.reference_node.errors import (
    IdentityError,
    InvalidRecordError,
    RandomSourceError,
)
from bluezone.reference_node.store import AsyncStore, Store, StoredKey, StoredReport

RandomBytes = Callable[[int], bytes]

log = logging.getLogger(__name__)


class DeviceIdentity:
    """The device's own keys: which one to broadcast now, and what to report."""

    def __init__(self, store: Store, random_bytes: RandomBytes = secrets.token_bytes) -> None:
        """Use ``store`` for the keys and ``random_bytes(n)`` as the CSPRNG (spec KS-1)."""
        self._store = store
        self._random_bytes = random_bytes
        self._current: StoredKey | None = None

    def __repr__(self) -> str:
        current = self._current
        if current is None:
            return "DeviceIdentity(current=None)"
        key = current.key
        return (
            f"DeviceIdentity(current=key #{current.key_id}, rolling_start={key.rolling_start}, "
            f"rolling_period={key.rolling_period})"
        )

    def current_key(self, now_s: float) -> TemporaryExposureKey:
        """Return the key to broadcast at unix time ``now_s``, starting one if needed.

        spec KS-3: the newest stored key whose period holds the current interval; if there
        is none (a UTC midnight passed, the device just started, the clock jumped), a new
        key starting at the current interval and running to the next midnight (KS-4). A new
        key is stored durably before it is returned. Raises RandomSourceError if the random
        source misbehaves, IdentityError for a clock out of range, StoreError on storage
        failures.
        """
        return self.current_stored_key(now_s).key

    def current_stored_key(self, now_s: float) -> StoredKey:
        """Return the current key with its store id (see ``current_key``)."""
        now = _interval(now_s)
        current = self._current
        if current is not None and current.key.rolling_start <= now < current.key.end_interval:
            return current
        with self._store.transaction():
            stored = self._store.own_key_at(now)
            if stored is None:
                stored = self._start_key(now, now_s)
        self._current = stored
        return stored

    def report(self, now_s: float, first_interval: int | None = None) -> StoredReport:
        """Record a report at ``now_s`` and re-key (spec KS-13); return the report.

        In one transaction, at the current interval c: the current key is cut so that its
        last interval is c (rolling_period = c - rolling_start + 1), a new key starts at c
        (KS-3, KS-4) and is broadcast from then on, and the report covers every key held
        (KS-11) but the new one, from ``first_interval`` on (keys whose period ends after
        it; all of them by default). Keys are uploaded only after their embargo
        (``keys_due_for_upload``, KS-12).
        """
        now = _interval(now_s)
        with self._store.transaction():
            current = self._store.own_key_at(now)
            if current is not None:
                cut = cut_for_report(current.key, now)
                self._store.cut_own_key(current.key_id, cut.rolling_period)
            self._current = None
            new_key = self._start_key(now, now_s)
            reported = [
                stored.key_id
                for stored in self._store.own_keys()
                if stored.key_id != new_key.key_id
                and (first_interval is None or stored.key.end_interval > first_interval)
                and _kept(stored, now)
            ]
            report = self._store.add_report(now, now_s, reported)
        self._current = new_key
        log.info("report %d recorded, %d keys, re-keyed", report.report_id, len(report.keys))
        return report

    def planned_report(self, now_s: float, first_interval: int | None = None) -> list[StoredKey]:
        """Return the keys a report at ``now_s`` would cover, the current one cut; write nothing.

        The same keys, ids and periods ``report`` records at the same ``now_s`` and
        ``first_interval``: a caller can have a code accepted for them before it re-keys.
        """
        now = _interval(now_s)
        current = self._store.own_key_at(now)
        planned = []
        for stored in self._store.own_keys():
            if current is not None and stored.key_id == current.key_id:
                stored = dataclasses.replace(stored, key=cut_for_report(stored.key, now))
            if (first_interval is None or stored.key.end_interval > first_interval) and _kept(
                stored, now
            ):
                planned.append(stored)
        return planned

    def history(self, now_s: float) -> list[StoredKey]:
        """Return the keys kept at ``now_s``: the last 14 days and the current one (KS-11)."""
        now = _interval(now_s)
        return [stored for stored in self._store.own_keys() if _kept(stored, now)]

    def keys_due_for_upload(self, now_s: float) -> list[tuple[int, StoredKey]]:
        """Return (report id, key) for reported keys whose embargo is over (spec KS-12)."""
        return self._store.keys_due_for_upload(_interval(now_s))

    def _start_key(self, now: int, now_s: float) -> StoredKey:
        random16 = self._random_bytes(params.TEK_LENGTH)
        if not isinstance(random16, bytes) or len(random16) != params.TEK_LENGTH:
            raise RandomSourceError(f"KS-1: the random source must give {params.TEK_LENGTH} bytes")
        key = new_temporary_exposure_key(random16, now)
        try:
            stored = self._store.add_own_key(key, now_s)
        except InvalidRecordError as exc:
            # The only constraint a valid new key can break is UNIQUE(key_data).
            raise RandomSourceError("KS-14: the random source repeated a key") from exc
        log.info(
            "started key #%d: rolling_start=%d rolling_period=%d",
            stored.key_id,
            key.rolling_start,
            key.rolling_period,
        )
        return stored


class AsyncDeviceIdentity:
    """``DeviceIdentity`` for the event loop: each call runs in the store's thread."""

    def __init__(self, store: AsyncStore, random_bytes: RandomBytes = secrets.token_bytes) -> None:
        """Keep the keys in ``store``; draw them from ``random_bytes`` (spec KS-1)."""
        self._store = store
        self._identity = DeviceIdentity(store.store, random_bytes)

    def __repr__(self) -> str:
        return f"Async{self._identity!r}"

    async def current_key(self, now_s: float) -> TemporaryExposureKey:
        """See ``DeviceIdentity.current_key``."""
        return await self._store.run(self._identity.current_key, now_s)

    async def report(self, now_s: float, first_interval: int | None = None) -> StoredReport:
        """See ``DeviceIdentity.report``."""
        return await self._store.run(self._identity.report, now_s, first_interval)

    async def planned_report(
        self, now_s: float, first_interval: int | None = None
    ) -> list[StoredKey]:
        """See ``DeviceIdentity.planned_report``."""
        return await self._store.run(self._identity.planned_report, now_s, first_interval)

    async def history(self, now_s: float) -> list[StoredKey]:
        """See ``DeviceIdentity.history``."""
        return await self._store.run(self._identity.history, now_s)

    async def keys_due_for_upload(self, now_s: float) -> list[tuple[int, StoredKey]]:
        """See ``DeviceIdentity.keys_due_for_upload``."""
        return await self._store.run(self._identity.keys_due_for_upload, now_s)


def _interval(now_s: float) -> int:
    try:
        return interval_number(now_s)
    except ProtocolError as exc:
        raise IdentityError(f"the clock is out of range ({exc.code})") from exc


def _kept(stored: StoredKey, now: int) -> bool:
    # spec KS-11: kept while now_interval < rolling_start + rolling_period + 2016.
    return now < stored.key.end_interval + params.RETENTION_INTERVALS
