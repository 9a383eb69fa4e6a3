"""Per-device calibration (TX power, RSSI correction, confidence) and its lookup (RISK-1, RISK-2).

The table is Google's Exposure Notifications calibration CSV. ``CalibrationTable.from_csv``
parses its text; ``bluezone.reference_node.risk_profiles.calibration_table()`` reads the copy
shipped with the package.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bluezone.protocol.params import (
    CALIBRATION_CONFIDENCE_GLOBAL,
    CALIBRATION_CONFIDENCE_MANUFACTURER,
    CALIBRATION_CONFIDENCE_MEASURED,
    CALIBRATION_CONFIDENCE_SISTER_MODEL,
    MAX_CALIBRATION_CONFIDENCE,
    MAX_CALIBRATION_DB,
    MAX_CALIBRATION_ROWS,
    MIN_CALIBRATION_DB,
)
from bluezone.protocol.risk.errors import InvalidCalibrationTableError

__all__ = ["Calibration", "CalibrationRow", "CalibrationTable", "Fallback"]

_HEADER = ("oem", "device", "model", "rssi correction", "tx", "calibration confidence")


class Fallback:
    """Names of the lookup steps (RISK-2), reported in ``Calibration.source``."""

    MODEL = "model"
    SISTER_MODEL = "sister_model"
    MANUFACTURER = "manufacturer"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One row of the table: manufacturer, device codename, model name and their values."""

    oem: str
    device: str
    model: str
    rssi_correction: int
    tx_power: int
    confidence: int


@dataclass(frozen=True, slots=True)
class Calibration:
    """The calibration a lookup returns: dB values, confidence 0..3, and the step that found it."""

    tx_power: int
    rssi_correction: int
    confidence: int
    source: str


def _key(text: str) -> str:
    """Matching form of a name: trimmed and case-folded (RISK-2)."""
    return text.strip().casefold()


class CalibrationTable:
    """The calibration table, indexed for the RISK-2 lookup. Immutable after construction."""

    __slots__ = ("_by_device", "_by_model", "_by_oem", "_global", "rows")

    def __init__(self, rows: Sequence[CalibrationRow]) -> None:
        if not rows:
            raise InvalidCalibrationTableError("RISK-1: the calibration table is empty")
        self.rows: tuple[CalibrationRow, ...] = tuple(rows)
        self._by_model: dict[str, list[CalibrationRow]] = {}
        self._by_device: dict[tuple[str, str], list[CalibrationRow]] = {}
        by_oem: dict[str, list[CalibrationRow]] = {}
        for row in self.rows:
            self._by_model.setdefault(_key(row.model), []).append(row)
            self._by_device.setdefault((_key(row.oem), _key(row.device)), []).append(row)
            by_oem.setdefault(_key(row.oem), []).append(row)
        self._by_oem = {oem: _median_values(group) for oem, group in by_oem.items()}
        self._global = _median_values(self.rows)

    @classmethod
    def from_csv(cls, text: str) -> CalibrationTable:
        """Parse the CSV text (header ``oem,device,model,rssi correction,tx,calibration
        confidence``); raises InvalidCalibrationTableError."""
        if not isinstance(text, str):
            raise InvalidCalibrationTableError("RISK-1: calibration table must be text")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
            if header is None or tuple(h.strip().casefold() for h in header) != _HEADER:
                raise InvalidCalibrationTableError("RISK-1: unexpected calibration table header")
            rows = [_parse_row(fields, number) for number, fields in _numbered(reader)]
        except csv.Error as exc:
            raise InvalidCalibrationTableError(f"RISK-1: malformed CSV: {exc}") from exc
        return cls(rows)

    def lookup(self, model: str, oem: str | None = None, device: str | None = None) -> Calibration:
        """Calibration for a device, by model, then sister model, manufacturer, global (RISK-2).

        ``model`` is the Android ``Build.MODEL``; ``oem`` the manufacturer and ``device`` the
        codename (``Build.DEVICE``), both optional. Names match trimmed and case-insensitively.
        """
        oem_key = _key(oem) if oem is not None else None
        device_key = _key(device) if device is not None else None
        rows = [
            r
            for r in self._by_model.get(_key(model), ())
            if oem_key is None or _key(r.oem) == oem_key
        ]
        if rows:
            row = _best(rows, device_key)
            return Calibration(row.tx_power, row.rssi_correction, row.confidence, Fallback.MODEL)
        if oem_key is not None and device_key is not None:
            sisters = self._by_device.get((oem_key, device_key))
            if sisters:
                row = _best(sisters, None)
                return Calibration(
                    row.tx_power,
                    row.rssi_correction,
                    CALIBRATION_CONFIDENCE_SISTER_MODEL,
                    Fallback.SISTER_MODEL,
                )
        if oem_key is not None and oem_key in self._by_oem:
            tx_power, correction = self._by_oem[oem_key]
            return Calibration(
                tx_power, correction, CALIBRATION_CONFIDENCE_MANUFACTURER, Fallback.MANUFACTURER
            )
        tx_power, correction = self._global
        return Calibration(tx_power, correction, CALIBRATION_CONFIDENCE_GLOBAL, Fallback.GLOBAL)


def _numbered(reader: Iterable[list[str]]) -> Iterable[tuple[int, list[str]]]:
    for number, fields in enumerate(reader, start=2):
        if number - 1 > MAX_CALIBRATION_ROWS:
            raise InvalidCalibrationTableError(
                f"RISK-1: more than {MAX_CALIBRATION_ROWS} calibration rows"
            )
        yield number, fields


def _parse_row(fields: list[str], number: int) -> CalibrationRow:
    if len(fields) != len(_HEADER):
        raise InvalidCalibrationTableError(
            f"RISK-1: line {number} has {len(fields)} fields, expected {len(_HEADER)}"
        )
    oem, device, model = (f.strip() for f in fields[:3])
    if not model:
        raise InvalidCalibrationTableError(f"RISK-1: line {number} has an empty model")
    correction = _parse_int(fields[3], number, MIN_CALIBRATION_DB, MAX_CALIBRATION_DB)
    tx_power = _parse_int(fields[4], number, MIN_CALIBRATION_DB, MAX_CALIBRATION_DB)
    confidence = _parse_int(fields[5], number, 0, MAX_CALIBRATION_CONFIDENCE)
    return CalibrationRow(oem, device, model, correction, tx_power, confidence)


def _parse_int(text: str, number: int, low: int, high: int) -> int:
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    if not body.isascii() or not body.isdigit() or len(body) > 4:
        raise InvalidCalibrationTableError(f"RISK-1: line {number}: not an integer")
    value = int(stripped)
    if not low <= value <= high:
        raise InvalidCalibrationTableError(f"RISK-1: line {number}: {value} outside {low}..{high}")
    return value


def _best(rows: Sequence[CalibrationRow], device_key: str | None) -> CalibrationRow:
    """Among rows for one name: same codename first, then highest confidence, then table order."""
    return min(
        enumerate(rows),
        key=lambda item: (
            device_key is not None and _key(item[1].device) != device_key,
            -item[1].confidence,
            item[0],
        ),
    )[1]


def _median_values(rows: Sequence[CalibrationRow]) -> tuple[int, int]:
    """Low medians of TX power and RSSI correction, over measured rows if any (RISK-2)."""
    measured = [r for r in rows if r.confidence == CALIBRATION_CONFIDENCE_MEASURED]
    pool = measured or list(rows)
    return (
        _median_low([r.tx_power for r in pool]),
        _median_low([r.rssi_correction for r in pool]),
    )


def _median_low(values: list[int]) -> int:
    """The lower of the two middle values (the middle value for an odd count)."""
    return sorted(values)[(len(values) - 1) // 2]
