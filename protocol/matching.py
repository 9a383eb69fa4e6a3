"""Exposure matching: diagnosis keys against the device's own sightings (spec section 3).

``find_matches`` is the engine (MATCH-2..5, MATCH-9): which sighting matches which key.
``check_exposures`` is the receiver's whole check (MATCH-6..8 on top): retention, embargo
and the metadata check, with the results grouped per key.

The engine is built for national scale. Per key it does the unavoidable work (HKDF and
one AES-ECB call over all the key's intervals that sightings could match) and nothing
per identifier in Python: the identifiers of a chunk of keys go through a numpy bitmap
prefilter keyed on their first bytes, then an exact check of the few candidates.
Large inputs are split over a process pool; the split never changes the result.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bluezone.protocol import params
from bluezone.protocol.errors import (
    ImplausibleTxPowerError,
    InvalidKeyError,
    InvalidMetadataError,
    ProtocolError,
)
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    check_interval,
    decrypt_aem_with_aemk,
    derive_aemk,
    padded_data,
)

_ZERO_SALT = bytes(32)
_RPIK_INFO = params.RPIK_INFO + b"\x01"
_TOLERANCE = params.MATCH_TOLERANCE_INTERVALS
_ECB = modes.ECB()  # immutable; sharing it saves a third of the per-key cipher set-up


@dataclass(frozen=True, slots=True)
class Sighting:
    """One identifier the device heard: RPI, the interval it was heard in, and extras.

    ``aem`` enables the metadata check (MATCH-7); ``rssi`` (dBm) is carried for scoring.
    """

    rpi: bytes
    interval: int
    aem: bytes | None = None
    rssi: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rpi, bytes) or len(self.rpi) != params.RPI_LENGTH:
            raise InvalidKeyError(f"MATCH-3: sighting RPI must be {params.RPI_LENGTH} bytes")
        check_interval(self.interval)
        if self.aem is not None and (
            not isinstance(self.aem, bytes) or len(self.aem) != params.AEM_LENGTH
        ):
            raise InvalidMetadataError(f"MATCH-7: sighting AEM must be {params.AEM_LENGTH} bytes")


@dataclass(frozen=True, slots=True)
class MatchedSighting:
    """A sighting that matched a key, with its decrypted metadata when it had an AEM."""

    sighting_index: int
    sighting: Sighting
    metadata: Metadata | None


@dataclass(frozen=True, slots=True)
class Exposure:
    """One diagnosis key and every sighting of the device that matched it (MATCH-5)."""

    key_index: int
    key: TemporaryExposureKey
    sightings: tuple[MatchedSighting, ...]


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input item left out of the result, with the spec's error code saying why."""

    index: int
    code: str


@dataclass(frozen=True, slots=True)
class ExposureCheck:
    """The result of a receiver's exposure check (spec MATCH-5..8)."""

    exposures: tuple[Exposure, ...]
    rejected_keys: tuple[Rejection, ...]
    discarded_sightings: tuple[Rejection, ...]

    @property
    def matches(self) -> list[tuple[int, int]]:
        """Every (key_index, sighting_index) pair kept, sorted."""
        return [(e.key_index, m.sighting_index) for e in self.exposures for m in e.sightings]


def find_matches(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[Sighting],
    *,
    workers: int = 1,
) -> list[tuple[int, int]]:
    """Return the sorted (key_index, sighting_index) pairs that match (MATCH-2..5, MATCH-9).

    Indices refer to the input sequences. ``workers`` > 1 spreads large inputs over that
    many processes; the result is the same as with one.
    """
    if not keys or not sightings:
        return []
    rpis = b"".join(s.rpi for s in sightings)
    intervals = np.array([s.interval for s in sightings], dtype=np.int64)
    if workers > 1 and len(keys) >= params.PARALLEL_MIN_KEYS:
        pairs = _match_parallel(rpis, intervals, keys, workers)
    else:
        pairs = _SightingTable(rpis, intervals).match(_KeyBatch.build(keys))
    return _first_key_per_sighting(pairs)


def check_exposures(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[Sighting],
    now_interval: int,
    *,
    workers: int = 1,
) -> ExposureCheck:
    """Run a receiver's exposure check at ``now_interval`` (spec MATCH-1..9).

    Embargoed keys are rejected (MATCH-8), sightings past retention are left out
    (MATCH-6), and matched sightings whose metadata fails MATCH-7 are discarded.
    """
    check_interval(now_interval)
    rejected, key_index = [], []
    for index, key in enumerate(keys):
        try:
            key.check_publishable(now_interval)
        except ProtocolError as error:
            rejected.append(Rejection(index, error.code))
        else:
            key_index.append(index)
    oldest = now_interval - params.RETENTION_INTERVALS
    sighting_index = [i for i, s in enumerate(sightings) if s.interval >= oldest]
    pairs = find_matches(
        [keys[i] for i in key_index], [sightings[i] for i in sighting_index], workers=workers
    )
    exposures, discarded = _check_metadata(
        [(key_index[k], sighting_index[s]) for k, s in pairs], keys, sightings
    )
    return ExposureCheck(tuple(exposures), tuple(rejected), tuple(discarded))


def _check_metadata(
    pairs: list[tuple[int, int]],
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[Sighting],
) -> tuple[list[Exposure], list[Rejection]]:
    """Decrypt each matched AEM and drop implausible sightings (spec MATCH-7)."""
    grouped: dict[int, list[MatchedSighting]] = {}
    discarded = []
    aemks: dict[int, bytes] = {}
    for k, s in pairs:
        sighting = sightings[s]
        metadata = None
        if sighting.aem is not None:
            aemk = aemks.setdefault(k, derive_aemk(keys[k].key_data))
            try:
                metadata = _plausible_metadata(aemk, sighting)
            except ProtocolError as error:
                discarded.append(Rejection(s, error.code))
                continue
        grouped.setdefault(k, []).append(MatchedSighting(s, sighting, metadata))
    exposures = [Exposure(k, keys[k], tuple(found)) for k, found in sorted(grouped.items())]
    return exposures, sorted(discarded, key=lambda r: r.index)


def _plausible_metadata(aemk: bytes, sighting: Sighting) -> Metadata:
    """Return the sighting's metadata, or raise if MATCH-7 discards it."""
    metadata = Metadata.from_bytes(decrypt_aem_with_aemk(aemk, sighting.rpi, sighting.aem))
    if not params.PLAUSIBLE_TX_POWER_MIN <= metadata.tx_power <= params.PLAUSIBLE_TX_POWER_MAX:
        raise ImplausibleTxPowerError(f"MATCH-7: TX power {metadata.tx_power} dBm")
    return metadata


def _first_key_per_sighting(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep, for each sighting, only the first key that matched it (spec MATCH-5)."""
    best: dict[int, int] = {}
    for k, s in pairs:
        if best.get(s, k) >= k:
            best[s] = k
    return sorted((k, s) for s, k in best.items())


@dataclass(frozen=True, slots=True)
class _KeyBatch:
    """Deduplicated keys as flat arrays, cheap to slice and to send to a worker (MATCH-4)."""

    indices: np.ndarray  # input index of each key, int64
    key_data: bytes  # 16 bytes per key
    starts: np.ndarray  # int64
    periods: np.ndarray  # int64

    @classmethod
    def build(cls, keys: Sequence[TemporaryExposureKey]) -> _KeyBatch:
        first: dict[bytes, int] = {}
        for index, key in enumerate(keys):
            first.setdefault(key.key_data, index)  # spec MATCH-4: the first copy wins
        indices = list(first.values())
        unique = keys if len(indices) == len(keys) else [keys[i] for i in indices]
        return cls(
            np.array(indices, dtype=np.int64),
            b"".join(first),
            np.array([key.rolling_start for key in unique], dtype=np.int64),
            np.array([key.rolling_period for key in unique], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.indices)

    def slice(self, begin: int, end: int) -> _KeyBatch:
        return _KeyBatch(
            self.indices[begin:end],
            self.key_data[begin * params.TEK_LENGTH : end * params.TEK_LENGTH],
            self.starts[begin:end],
            self.periods[begin:end],
        )


class _SightingTable:
    """The device's sightings, indexed for the prefilter and the exact check.

    Holds no Python object per sighting: a bitmap of the low bits of each identifier's
    first word, and the identifiers' first 8 bytes sorted, so a worker builds it fast.
    """

    def __init__(self, rpis: bytes, intervals: np.ndarray) -> None:
        self.rpis = rpis
        self.intervals = intervals
        prefixes = np.frombuffer(rpis, dtype="<u8")[::2]
        self.order = np.argsort(prefixes, kind="stable")
        self.sorted_prefixes = prefixes[self.order]
        self.mask = np.uint64((1 << params.PREFILTER_BITS) - 1)
        low = prefixes & self.mask
        self.bitmap = np.zeros(1 << (params.PREFILTER_BITS - 3), dtype=np.uint8)
        np.bitwise_or.at(self.bitmap, low >> 3, np.left_shift(1, low & 7).astype(np.uint8))
        # Identifiers worth computing lie within the tolerance of some sighting (MATCH-3).
        self.first = max(int(intervals.min()) - _TOLERANCE, 0)
        self.last = min(int(intervals.max()) + _TOLERANCE, params.MAX_INTERVAL)
        span = self.last - self.first + 1
        # PaddedData of every useful interval, built once, when the span is sane.
        self.padded = (
            b"".join(padded_data(j) for j in range(self.first, self.last + 1))
            if span <= params.PADDED_CACHE_INTERVALS
            else None
        )

    def match(self, batch: _KeyBatch) -> list[tuple[int, int]]:
        """Return the (key_index, sighting_index) pairs of ``batch`` (MATCH-2, MATCH-3)."""
        pairs: list[tuple[int, int]] = []
        for begin in range(0, len(batch), params.MATCH_CHUNK_KEYS):
            chunk = batch.slice(begin, begin + params.MATCH_CHUNK_KEYS)
            pairs.extend(self._match_chunk(chunk))
        return pairs

    def _match_chunk(self, chunk: _KeyBatch) -> list[tuple[int, int]]:
        firsts = np.maximum(chunk.starts, self.first)
        ends = np.minimum(chunk.starts + chunk.periods, self.last + 1)
        counts = np.maximum(ends - firsts, 0)
        buffer = _expand(chunk.key_data, (firsts - self.first).tolist(), counts.tolist(), self)
        positions, lows, highs = self._candidates(buffer)
        if not len(positions):
            return []
        offsets = np.cumsum(counts) - counts
        owners = np.searchsorted(offsets, positions, side="right") - 1
        pairs = []
        for position, owner, low, high in zip(
            positions.tolist(), owners.tolist(), lows.tolist(), highs.tolist(), strict=True
        ):
            rpi = buffer[position * 16 : position * 16 + 16]
            interval = int(firsts[owner]) + position - int(offsets[owner])
            for s in self.order[low:high].tolist():
                if (
                    self.rpis[s * 16 : s * 16 + 16] == rpi
                    and abs(int(self.intervals[s]) - interval) <= _TOLERANCE  # spec MATCH-3
                ):
                    pairs.append((int(chunk.indices[owner]), s))
        return pairs

    def _candidates(self, buffer: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return identifier positions whose first 8 bytes some sighting shares.

        With each position, the range of ``order`` holding those sightings. The bitmap
        drops almost every identifier at the cost of one lookup; the sorted prefixes
        settle the rest.
        """
        prefixes = np.frombuffer(buffer, dtype="<u8")[::2]
        low = prefixes & self.mask
        positions = np.flatnonzero((self.bitmap[low >> 3] >> (low & 7)) & 1)
        wanted = prefixes[positions]
        lows = np.searchsorted(self.sorted_prefixes, wanted, side="left")
        highs = np.searchsorted(self.sorted_prefixes, wanted, side="right")
        found = highs > lows
        return positions[found], lows[found], highs[found]


def _expand(key_data: bytes, skips: list[int], counts: list[int], table: _SightingTable) -> bytes:
    """Return the identifiers of every key of a chunk for its useful intervals (MATCH-2).

    This loop is the per-key cost: HKDF (two HMACs) and one AES-ECB call (spec KS-5, KS-6).
    """
    padded = table.padded
    digest = hmac.digest
    parts = []
    for i, (skip, count) in enumerate(zip(skips, counts, strict=True)):
        if count <= 0:
            continue
        prk = digest(_ZERO_SALT, key_data[i * 16 : i * 16 + 16], "sha256")
        rpik = digest(prk, _RPIK_INFO, "sha256")[:16]
        encryptor = Cipher(algorithms.AES(rpik), _ECB).encryptor()
        if padded is None:
            first = table.first + skip
            blocks = b"".join(padded_data(j) for j in range(first, first + count))
        else:
            blocks = padded[skip * 16 : (skip + count) * 16]
        parts.append(encryptor.update(blocks))
    return b"".join(parts)


# Process-pool path (MATCH-9: same pairs as the serial path).
_worker_table: _SightingTable | None = None


def _init_worker(rpis: bytes, intervals: np.ndarray) -> None:
    global _worker_table
    _worker_table = _SightingTable(rpis, intervals)


def _match_in_worker(batch: _KeyBatch) -> list[tuple[int, int]]:
    assert _worker_table is not None
    return _worker_table.match(batch)


def _start_method() -> str:
    """Fork when it is safe (no other thread to copy mid-lock): it skips re-importing."""
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return "fork"
    return "spawn"


def _match_parallel(
    rpis: bytes, intervals: np.ndarray, keys: Sequence[TemporaryExposureKey], workers: int
) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context(_start_method()),
        initializer=_init_worker,
        initargs=(rpis, intervals),
    ) as pool:
        # Start the workers first: they build their tables while this process dedupes keys.
        pool.submit(int)
        batch = _KeyBatch.build(keys)
        step = params.MATCH_CHUNK_KEYS
        parts = [batch.slice(b, b + step) for b in range(0, len(batch), step)]
        return [pair for found in pool.map(_match_in_worker, parts) for pair in found]
