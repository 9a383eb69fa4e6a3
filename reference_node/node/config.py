"""The node's settings and the records it hands to observers.

`NodeConfig` (with `NodeCalibration` and the scan `DutyCycle`) says how a node behaves;
`Rotation` and `ScanSummary` are what `Node` reports to ``on_rotation`` and ``on_scan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bluezone.protocol import params
from bluezone.protocol.keys import Metadata
from bluezone.reference_node.errors import NodeConfigError
from bluezone.reference_node.node.exposure import RiskSettings
from bluezone.reference_node.node.log import short_address, short_id
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.store import ScanRecord

# spec RISK-2: the shipped calibration table's global fallback (median TX power and RSSI
# correction over all rows, confidence 0): what an uncalibrated device should use.
DEFAULT_TX_POWER_DBM = -24
DEFAULT_RSSI_CORRECTION_DB = 4


@dataclass(frozen=True, slots=True)
class NodeCalibration:
    """The node's radio calibration (spec RISK-1..RISK-3, KS-9).

    ``tx_power_dbm`` goes into the metadata every advertisement carries, so receivers can
    compute attenuation; it must be plausible ([-50, +20] dBm) or receivers drop the
    sightings (MATCH-7). ``rssi_correction_db`` is added to what this node measures;
    ``confidence`` (0..3) says how the values were obtained (0: not measured).
    """

    tx_power_dbm: int = DEFAULT_TX_POWER_DBM
    rssi_correction_db: int = DEFAULT_RSSI_CORRECTION_DB
    confidence: int = 0

    def __post_init__(self) -> None:
        if not params.PLAUSIBLE_TX_POWER_MIN <= self.tx_power_dbm <= params.PLAUSIBLE_TX_POWER_MAX:
            raise NodeConfigError("MATCH-7: TX power must be within [-50, +20] dBm")
        if not params.MIN_CALIBRATION_DB <= self.rssi_correction_db <= params.MAX_CALIBRATION_DB:
            raise NodeConfigError("RISK-3: RSSI correction must be within -127..127 dB")
        if not 0 <= self.confidence <= params.MAX_CALIBRATION_CONFIDENCE:
            raise NodeConfigError("KS-9: calibration confidence is 0..3")

    def metadata(self) -> Metadata:
        """The metadata the node advertises (spec KS-9)."""
        return Metadata.for_tx_power(self.tx_power_dbm, self.confidence)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """How a node behaves. ``name`` appears in logs only, never on air.

    ``status_interval_s`` and ``check_interval_s`` are None to turn the status line or the
    periodic exposure check off; ``chaff_every_s`` with ``chaff_server`` sends chaff to
    that key server at random times of that mean gap (DENY-3). ``risk`` defaults to ENX
    and the proximity profile.
    """

    name: str = "node"
    calibration: NodeCalibration = field(default_factory=NodeCalibration)
    duty_cycle: DutyCycle = field(default_factory=DutyCycle)
    advertise: bool = True
    advertisement_flags: bool = True
    status_interval_s: float | None = 60.0
    check_interval_s: float | None = None
    risk: RiskSettings | None = None
    # spec DENY-3: the key server to send chaff to, and the mean gap between chaff.
    chaff_server: str | None = None
    chaff_every_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("status_interval_s", "check_interval_s", "chaff_every_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise NodeConfigError(f"{name} must be positive or None")
        if (self.chaff_server is None) != (self.chaff_every_s is None):
            raise NodeConfigError("chaff needs both a key server and a mean gap (DENY-3)")


@dataclass(frozen=True, slots=True)
class Rotation:
    """One change of what the node advertises (spec ADV-3). ``ad`` is the advertising data."""

    wall_time: float
    interval: int
    key_rolling_start: int
    rpi: bytes
    address: str
    ad: bytes
    advertised: bool

    def __repr__(self) -> str:
        return (
            f"Rotation(interval={self.interval}, rpi={short_id(self.rpi)}, "
            f"address={short_address(self.address)})"
        )


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """One closed scan, as the node reports it to observers."""

    record: ScanRecord
    peers: int
    dropped: dict[str, int]
    mismatched_pairs: int
