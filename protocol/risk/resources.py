"""The package data of risk scoring: the one place that reads files shipped with the package.

Everything else in ``bluezone.protocol.risk`` takes text or decoded JSON in; this module only
hands the
shipped bytes to those parsers (the calibration table and the ENX default configuration).
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any

from bluezone.protocol.risk.calibration import CalibrationTable
from bluezone.protocol.risk.proximity import ProximityConfig
from bluezone.protocol.risk.v2 import V2Profile

__all__ = [
    "CALIBRATION_TABLE_NAME",
    "ENX_DEFAULTS_NAME",
    "default_calibration_table",
    "enx_defaults",
    "enx_defaults_json",
    "proximity_defaults",
    "read_package_data",
]

CALIBRATION_TABLE_NAME = "en-calibration-2020-08-12.csv"
ENX_DEFAULTS_NAME = "enx-defaults.json"
PROXIMITY_DEFAULTS_NAME = "proximity-defaults.json"


def read_package_data(name: str) -> bytes:
    """Bytes of a file in ``protocol/risk/data`` (the only resource access of the package)."""
    return resources.files("bluezone.protocol.risk").joinpath("data", name).read_bytes()


def default_calibration_table() -> CalibrationTable:
    """Google's 2020-08-12 calibration table, as shipped (RISK-1)."""
    return CalibrationTable.from_csv(read_package_data(CALIBRATION_TABLE_NAME).decode("utf-8"))


def enx_defaults_json() -> Any:
    """The shipped ENX recommended defaults, decoded with exact decimals (RISK-15)."""
    return json.loads(read_package_data(ENX_DEFAULTS_NAME), parse_float=Decimal)


def enx_defaults() -> V2Profile:
    """The ENX recommended defaults as a v2 profile (RISK-15)."""
    return V2Profile.from_json(enx_defaults_json())


def proximity_defaults() -> ProximityConfig:
    """The proximity profile's shipped parameters (spec 5.8, RISK-57)."""
    document = json.loads(read_package_data(PROXIMITY_DEFAULTS_NAME), parse_float=Decimal)
    return ProximityConfig.from_json(document)
