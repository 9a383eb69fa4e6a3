"""Exposure matching: diagnosis keys against the device's own sightings (spec section 3).

``find_matches`` is the engine (MATCH-2..5, MATCH-9): which sighting matches which key.
``check_exposures`` is the receiver's whole check (MATCH-6..8 on top): retention, embargo
and the metadata check, with the results grouped per key.

The engine is built for national scale. Per key it does the unavoidable work (HKDF and
one AES-ECB call over all the key's intervals that sightings could match) and nothing
per identifier in Python: the identifiers of a chunk of keys go through a numpy bitmap
prefilter keyed on their first bytes, then an exact check of the few candidates.

The engine is chunkable and has no execution policy: a `SightingTable` is built once, a
`KeyBatch` is cut into chunks, each chunk is matched on its own, and `merge_matches` puts the
pieces in the serial order (MATCH-9). Whoever wants processes runs the chunks in them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

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
    hkdf16,
    padded_data,
)
from bluezone.protocol.risk.errors import InvalidSightingError

_TOLERANCE = params.MATCH_TOLERANCE_INTERVALS
_ECB = modes.ECB()  # immutable; sharing it saves a third of the per-key cipher set-up


@dataclass(frozen=True, slots=True)
class Sighting:
    """One identifier the device heard: RPI, the interval it was heard in, and extras.

    ``aem`` enables the metadata check (MATCH-7); ``rssi`` (dBm, an int) is carried for
    scoring. Construction raises ProtocolError for a field of the wrong type or size.
    """

    rpi: bytes
    interval: int
    aem: bytes | None = None
    rssi: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rpi, bytes) or len(self.rpi) != params.RPI_LENGTH:
            raise InvalidKeyError(f"MATCH-3: sighting RPI must be {params.RPI_LENGTH} bytes")
        check_interval(self.interval, "sighting interval")
        if self.aem is not None and (
            not isinstance(self.aem, bytes) or len(self.aem) != params.AEM_LENGTH
        ):
            raise InvalidMetadataError(f"MATCH-7: sighting AEM must be {params.AEM_LENGTH} bytes")
        if self.rssi is not None and (
            not isinstance(self.rssi, int) or isinstance(self.rssi, bool)
        ):
            raise InvalidSightingError("RISK-3: sighting RSSI must be an int (dBm) or None")


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


Matcher = Callable[[Sequence[TemporaryExposureKey], Sequence[Sighting]], list[tuple[int, int]]]
"""A function with `find_matches`' signature and result (MATCH-9: however it splits the work)."""


def find_matches(
    keys: Sequence[TemporaryExposureKey], sightings: Sequence[Sighting]
) -> list[tuple[int, int]]:
    """Return the sorted (key_index, sighting_index) pairs that match (MATCH-2..5).

    Indices refer to the input sequences. This is the serial composition of the chunkable
    pieces below: a caller that spreads the chunks over processes gets the same result by
    merging them with `merge_matches` (MATCH-9).
    """
    if not keys or not sightings:
        return []
    table = SightingTable.build(sightings)
    return merge_matches(table.match(chunk) for chunk in KeyBatch.build(keys).chunks())


def merge_matches(parts: Iterable[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Return the pairs of every chunk in MATCH-5's order, whatever order the chunks came in.

    spec MATCH-5: a sighting matched by several keys keeps the first key only (identifiers
    of distinct keys coincide with probability 2**-128, but the result is defined anyway).
    spec MATCH-9: the result does not depend on how the keys were split or on the order in
    which the chunks were matched.
    """
    merged, taken = [], set()
    for key_index, sighting_index in sorted(pair for part in parts for pair in part):
        if sighting_index not in taken:
            taken.add(sighting_index)
            merged.append((key_index, sighting_index))
    return merged


def check_exposures(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[Sighting],
    now_interval: int,
    *,
    matcher: Matcher = find_matches,
) -> ExposureCheck:
    """Run a receiver's exposure check at ``now_interval`` (spec MATCH-1..9).

    Embargoed keys are rejected (MATCH-8), sightings past retention are left out
    (MATCH-6), and matched sightings whose metadata fails MATCH-7 are discarded.
    ``matcher`` does the matching: `find_matches`, or any function returning the same pairs
    (MATCH-9), such as one that spreads the chunks over processes.
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
    pairs = matcher([keys[i] for i in key_index], [sightings[i] for i in sighting_index])
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
                metadata = _plausible_metadata(aemk, sighting.rpi, sighting.aem)
            except ProtocolError as error:
                discarded.append(Rejection(s, error.code))
                continue
        grouped.setdefault(k, []).append(MatchedSighting(s, sighting, metadata))
    exposures = [Exposure(k, keys[k], tuple(found)) for k, found in sorted(grouped.items())]
    return exposures, sorted(discarded, key=lambda r: r.index)


def _plausible_metadata(aemk: bytes, rpi: bytes, aem: bytes) -> Metadata:
    """Return a sighting's metadata, or raise if MATCH-7 discards it."""
    metadata = Metadata.from_bytes(decrypt_aem_with_aemk(aemk, rpi, aem))
    if not params.PLAUSIBLE_TX_POWER_MIN <= metadata.tx_power <= params.PLAUSIBLE_TX_POWER_MAX:
        raise ImplausibleTxPowerError(f"MATCH-7: TX power {metadata.tx_power} dBm")
    return metadata


@dataclass(frozen=True, slots=True)
class KeyBatch:
    """Diagnosis keys as flat arrays, first copies only (MATCH-4): cheap to slice and to send.

    Build it once with `build`; `chunks` cuts it into the pieces `SightingTable.match` takes.
    """

    indices: np.ndarray  # input index of each key, int64, increasing
    key_data: bytes  # 16 bytes per key
    starts: np.ndarray  # int64
    periods: np.ndarray  # int64

    @classmethod
    def build(cls, keys: Sequence[TemporaryExposureKey]) -> KeyBatch:
        """Return the batch of ``keys``: later copies of a key's data are left out (MATCH-4)."""
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

    def chunks(self, size: int = params.MATCH_CHUNK_KEYS) -> list[KeyBatch]:
        """Return consecutive slices of at most ``size`` keys, in key order."""
        return [self._slice(begin, begin + size) for begin in range(0, len(self), size)]

    def _slice(self, begin: int, end: int) -> KeyBatch:
        return KeyBatch(
            self.indices[begin:end],
            self.key_data[begin * params.TEK_LENGTH : end * params.TEK_LENGTH],
            self.starts[begin:end],
            self.periods[begin:end],
        )


class SightingTable:
    """The device's sightings, indexed once for the prefilter and the exact check.

    Read-only after construction, so any number of `match` calls (in this process or in
    copies of it) may share it. Holds no Python object per sighting: a bitmap of the low
    bits of each identifier's first word, and the identifiers' first 8 bytes sorted.
    Pickling sends only the sightings; the receiver rebuilds the index.
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
        if len(intervals):
            self.first = max(int(intervals.min()) - _TOLERANCE, 0)
            self.last = min(int(intervals.max()) + _TOLERANCE, params.MAX_INTERVAL)
        else:
            self.first, self.last = 0, -1  # no interval is worth computing
        span = self.last - self.first + 1
        # PaddedData of every useful interval, built once, when the span is sane.
        self.padded = (
            b"".join(padded_data(j) for j in range(self.first, self.last + 1))
            if span <= params.PADDED_CACHE_INTERVALS
            else None
        )

    @classmethod
    def build(cls, sightings: Sequence[Sighting]) -> SightingTable:
        """Return the table of ``sightings``; pair indices refer to their positions."""
        return cls(
            b"".join(s.rpi for s in sightings),
            np.array([s.interval for s in sightings], dtype=np.int64),
        )

    def __reduce__(self) -> tuple[type[SightingTable], tuple[bytes, np.ndarray]]:
        return SightingTable, (self.rpis, self.intervals)

    def match(self, chunk: KeyBatch) -> list[tuple[int, int]]:
        """Return the sorted (key_index, sighting_index) pairs of ``chunk`` (MATCH-2, MATCH-3).

        Memory grows with the chunk (2,304 bytes per key): pass `KeyBatch.chunks` pieces.
        """
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
        return sorted(pairs)

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


def _expand(key_data: bytes, skips: list[int], counts: list[int], table: SightingTable) -> bytes:
    """Return the identifiers of every key of a chunk for its useful intervals (MATCH-2).

    This loop is the per-key cost: HKDF (two HMACs) and one AES-ECB call (spec KS-5, KS-6).
    """
    padded = table.padded
    parts = []
    for i, (skip, count) in enumerate(zip(skips, counts, strict=True)):
        if count <= 0:
            continue
        rpik = hkdf16(key_data[i * 16 : i * 16 + 16], params.RPIK_INFO)
        encryptor = Cipher(algorithms.AES(rpik), _ECB).encryptor()
        if padded is None:
            first = table.first + skip
            blocks = b"".join(padded_data(j) for j in range(first, first + count))
        else:
            blocks = padded[skip * 16 : (skip + count) * 16]
        parts.append(encryptor.update(blocks))
    return b"".join(parts)
