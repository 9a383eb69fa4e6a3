"""Attenuation of one received advertisement (spec RISK-3)."""

from __future__ import annotations

from bluezone.protocol.params import (
    MAX_ATTENUATION_DB,
    MAX_CALIBRATION_DB,
    MAX_RSSI_DBM,
    MAX_TX_POWER,
    MIN_ATTENUATION_DB,
    MIN_CALIBRATION_DB,
    MIN_RSSI_DBM,
    MIN_TX_POWER,
)
from bluezone.protocol.risk.errors import InvalidSightingError

__all__ = ["attenuation"]


def attenuation(tx_power: int, rssi: int, rssi_correction: int) -> int:
    """Attenuation in dB: ``tx_power - (rssi + rssi_correction)``, floored at 0 (spec RISK-3).

    ``tx_power`` is the sender's, from its decrypted metadata (KS-9); ``rssi`` the measured
    dBm; ``rssi_correction`` the receiver's own, from its calibration (RISK-2). The result is
    also capped at 255 dB, the largest value a scan instance holds (RISK-9).
    """
    _check(tx_power, "tx_power", MIN_TX_POWER, MAX_TX_POWER)
    _check(rssi, "rssi", MIN_RSSI_DBM, MAX_RSSI_DBM)
    _check(rssi_correction, "rssi_correction", MIN_CALIBRATION_DB, MAX_CALIBRATION_DB)
    value = tx_power - (rssi + rssi_correction)
    return min(max(value, MIN_ATTENUATION_DB), MAX_ATTENUATION_DB)


def _check(value: object, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSightingError(f"RISK-3: {field} must be an integer in {low}..{high}")
