"""The scanner's side: its duty cycle, and one scan's sightings on their way to the store.

A `ScanBuffer` is one open scan: every report the radio delivers during it is decoded with
the advertisement codec (spec ADV-13); reports that do not decode are counted by error code
and dropped. The advertiser's address is used only inside the scan, to count the peers
heard and to notice a sender that changed its identifier without its address or the reverse
(spec ADV-3); it is never stored (spec ADV-14). A buffer that hears the legacy app
(appendix A1, off by default) tries every report section 2 rejects as a Bluezone 2020
Android advertisement and keeps those apart (spec BZ20-12).
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.bluezone2020 import LegacyAdvertisement
from bluezone.protocol.errors import (
    AdMissingServiceDataError,
    AdServiceDataLengthError,
    ProtocolError,
)
from bluezone.protocol.keys import interval_number
from bluezone.reference_node.errors import NodeConfigError, NodeError
from bluezone.reference_node.radio.base import Sighting
from bluezone.reference_node.store import ScanRecord, SightingRecord
from bluezone.reference_node.store.legacy import LegacySightingRecord

# One scan keeps at most this many sightings in memory; more are counted and dropped. A
# 4-second window in a crowd of 200 phones at 4 adverts a second is 3,200; a continuous
# window of a minute in the same crowd is 48,000.
MAX_SCAN_SIGHTINGS = 100_000
# Reports of the radio outside every scan (a report racing the end of a scan).
OUTSIDE_SCAN = "outside_scan"
SCAN_BUFFER_FULL = "scan_buffer_full"


@dataclass(frozen=True, slots=True)
class DutyCycle:
    """When the radio listens: ``window_s`` every ``period_min_s``..``period_max_s`` (ADV-13).

    Each period (start to start) is drawn uniformly in its range. A window as long as the
    longest period means scanning all the time (`continuous`), cut into scans of
    ``window_s``. Windows are at least 1 s, so scans start in distinct seconds (RISK-4).
    """

    window_s: float = params.SCAN_WINDOW_S
    period_min_s: float = params.SCAN_PERIOD_MIN_S
    period_max_s: float = params.SCAN_PERIOD_MAX_S

    def __post_init__(self) -> None:
        values = (self.window_s, self.period_min_s, self.period_max_s)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise NodeConfigError("duty cycle times must be finite numbers of seconds")
        if self.window_s < 1:
            raise NodeConfigError("a scan window lasts at least 1 s (RISK-4: distinct starts)")
        if not self.window_s <= self.period_min_s <= self.period_max_s:
            raise NodeConfigError("a duty cycle needs window <= shortest <= longest period")

    @classmethod
    def always(cls, window_s: float = 60.0) -> DutyCycle:
        """Scan all the time, recording one scan every ``window_s`` seconds."""
        return cls(window_s, window_s, window_s)

    @classmethod
    def parse(cls, text: str) -> DutyCycle:
        """Read ``continuous``, ``continuous:WINDOW`` or ``WINDOW/MIN-MAX`` (seconds)."""
        try:
            if text == "continuous":
                return cls.always()
            if text.startswith("continuous:"):
                return cls.always(float(text.split(":", 1)[1]))
            window, periods = text.split("/")
            low, high = periods.split("-")
            return cls(float(window), float(low), float(high))
        except ValueError:
            raise NodeConfigError(
                f"a duty cycle is 'continuous[:WINDOW]' or 'WINDOW/MIN-MAX', got {text!r}"
            ) from None

    @property
    def continuous(self) -> bool:
        """Whether the radio scans without a break."""
        return self.window_s >= self.period_max_s

    def period(self, fraction: float) -> float:
        """The period (start to start) for a uniform ``fraction`` in [0, 1)."""
        return self.period_min_s + fraction * (self.period_max_s - self.period_min_s)

    def describe(self) -> str:
        """Human-readable form, e.g. ``4 s every 120-300 s``."""
        if self.continuous:
            return f"continuous (one scan record every {self.window_s:g} s)"
        return f"{self.window_s:g} s every {self.period_min_s:g}-{self.period_max_s:g} s"


def decode(sighting: Sighting) -> Advertisement:
    """The advertisement a radio report carries (spec ADV-4..ADV-12).

    Raw advertising data is parsed strictly; a backend that hands over only the service data
    for 0xFD6F must hand over exactly RPI || AEM. Raises a ProtocolError subclass.
    """
    if sighting.ad is not None:
        return Advertisement.from_bytes(sighting.ad)
    data = sighting.service_data
    if data is None:
        raise AdMissingServiceDataError("ADV-10: the report carries no service data")
    if len(data) != params.SERVICE_DATA_LENGTH:
        raise AdServiceDataLengthError(f"ADV-11: service data is {len(data)} bytes, not 20")
    return Advertisement(bytes(data[: params.RPI_LENGTH]), bytes(data[params.RPI_LENGTH :]))


class ScanBuffer:
    """One open scan: decoded sightings waiting to be stored, and what was dropped."""

    def __init__(
        self, start_wall_time: float, limit: int = MAX_SCAN_SIGHTINGS, *, hear_legacy: bool = False
    ) -> None:
        self.start_wall_time = start_wall_time
        self.records: list[SightingRecord] = []
        self.legacy_records: list[LegacySightingRecord] = []
        self._hear_legacy = hear_legacy
        self.dropped: collections.Counter[str] = collections.Counter()
        self._limit = limit
        self._rpi_of: dict[str, bytes] = {}
        self._address_of: dict[bytes, str] = {}
        self.mismatches = 0

    def add(self, sighting: Sighting) -> bool:
        """Decode and keep one report; return False if it was dropped (ADV-13)."""
        try:
            advertisement = decode(sighting)
            interval = interval_number(sighting.wall_time)
        except ProtocolError as error:
            if self._take_legacy(sighting):
                return True
            self.dropped[error.code] += 1
            return False
        if len(self.records) + len(self.legacy_records) >= self._limit:
            self.dropped[SCAN_BUFFER_FULL] += 1
            return False
        self._pair(sighting.address, advertisement.rpi)
        self.records.append(
            SightingRecord(
                rpi=advertisement.rpi,
                aem=advertisement.aem,
                interval=interval,
                monotonic_time=sighting.monotonic_time,
                wall_time=sighting.wall_time,
                rssi=sighting.rssi,
                address=None,  # spec ADV-14: the address is not stored
                address_type=None,
                backend=sighting.backend,
            )
        )
        return True

    def _take_legacy(self, sighting: Sighting) -> bool:
        """Keep a report as a legacy sighting if it is one (spec BZ20-12); say whether."""
        if not self._hear_legacy or sighting.ad is None:
            return False
        try:
            advertisement = LegacyAdvertisement.from_bytes(sighting.ad)
            record = LegacySightingRecord(
                advertisement.blid, sighting.wall_time, sighting.rssi, sighting.backend
            )
        except (ProtocolError, NodeError):
            return False  # counted under section 2's error code (BZ20-12)
        if len(self.records) + len(self.legacy_records) >= self._limit:
            self.dropped[SCAN_BUFFER_FULL] += 1
            return True
        self.legacy_records.append(record)  # spec ADV-14: no address
        return True

    def _pair(self, address: str, rpi: bytes) -> None:
        # spec ADV-3 seen from the receiving side: within one scan an address carries one
        # identifier and an identifier one address, unless the sender broke the rule.
        known_rpi = self._rpi_of.setdefault(address, rpi)
        known_address = self._address_of.setdefault(rpi, address)
        if known_rpi != rpi or known_address != address:
            self.mismatches += 1

    @property
    def peers(self) -> int:
        """How many advertiser addresses this scan heard (spec ADV-14: grouping only)."""
        return len(self._rpi_of)

    @property
    def dropped_total(self) -> int:
        """How many reports were dropped."""
        return sum(self.dropped.values())

    def close(self, end_wall_time: float) -> ScanRecord:
        """The scan's record, ending at ``end_wall_time``; forgets the addresses (ADV-14)."""
        self._rpi_of.clear()
        self._address_of.clear()
        return ScanRecord(
            start_wall_time=self.start_wall_time,
            end_wall_time=max(end_wall_time, self.start_wall_time),
            start_interval=interval_number(self.start_wall_time),
            sightings=len(self.records),
            dropped=self.dropped_total,
        )
