"""The scoring profiles and the calibration table the package ships, read from package data.

The pure library takes configurations and tables as values (it parses JSON text, never a
file); this module is the one place that reads the shipped copies for the node, the risk lab
and the docs. The profiles live once, as JSON in ``spec/profiles/`` (package data
``bluezone.spec``, with their sources in ``spec/profiles/SOURCES.md``), where the interop
suite and the vector generators read the same files. Numbers are decoded as exact decimals.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from bluezone.protocol.risk.calibration import CalibrationTable
from bluezone.protocol.risk.cwa import CwaConfiguration
from bluezone.protocol.risk.proximity import ProximityConfig
from bluezone.protocol.risk.v1 import ExposureConfiguration
from bluezone.protocol.risk.v2 import V2Profile

__all__ = [
    "CALIBRATION_TABLE_NAME",
    "DEFAULT_V2_PROFILE",
    "PROFILES_DIR",
    "V2_PROFILES",
    "calibration_table",
    "cwa_configuration",
    "profile_json",
    "proximity_profile",
    "v1_configuration",
    "v2_profile",
]

CALIBRATION_TABLE_NAME = "en-calibration-2020-08-12.csv"
# ``spec/profiles``: beside this package in a checkout and in an installed wheel alike (the
# spec is package data of the same distribution).
PROFILES_DIR = Path(__file__).resolve().parent.parent / "spec" / "profiles"
# The v2 profiles, named by their source (RISK-15): Google's ENX defaults and the Risk
# Score Symposium's "narrower net 1.0". The node's default is the latter.
V2_PROFILES = ("enx", "lfph-narrower-net-1.0")
DEFAULT_V2_PROFILE = "lfph-narrower-net-1.0"


def profile_json(name: str) -> Any:
    """The decoded ``spec/profiles/NAME.json`` (exact decimals); KeyError for unknown names."""
    path = PROFILES_DIR / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no scoring profile {name!r}")
    return json.loads(path.read_bytes(), parse_float=Decimal)


def v2_profile(name: str = DEFAULT_V2_PROFILE) -> V2Profile:
    """A GAEN v2 profile: mapping, daily summaries config and threshold (RISK-15)."""
    return V2Profile.from_json(profile_json(name))


def cwa_configuration(name: str = "cwa") -> CwaConfiguration:
    """CWA's risk calculation parameters (spec 5.7)."""
    return CwaConfiguration.from_json(profile_json(name))


def v1_configuration(name: str = "gaen-v1-example") -> ExposureConfiguration:
    """A GAEN v1 exposure configuration (spec 5.6)."""
    return ExposureConfiguration.from_json(profile_json(name))


def proximity_profile(name: str = "proximity") -> ProximityConfig:
    """The proximity profile the library ships (spec 5.8)."""
    return ProximityConfig.from_json(profile_json(name))


def calibration_table() -> CalibrationTable:
    """Google's 2020-08-12 calibration table, as shipped (RISK-1)."""
    data = resources.files("bluezone.protocol.risk.data").joinpath(CALIBRATION_TABLE_NAME)
    return CalibrationTable.from_csv(data.read_bytes().decode("utf-8"))
