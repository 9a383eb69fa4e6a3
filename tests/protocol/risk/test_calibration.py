"""Calibration table parsing and the RISK-2 lookup order; attenuation (RISK-3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.risk.attenuation import attenuation
from bluezone.protocol.risk.calibration import CalibrationTable, Fallback
from bluezone.protocol.risk.errors import InvalidCalibrationTableError, InvalidSightingError
from bluezone.reference_node.risk_profiles import calibration_table

HEADER = "oem,device, model,rssi correction,tx,calibration confidence\n"
SMALL = HEADER + (
    "acme,alpha,A-100,2,-20,1\n"
    "acme,alpha,A-100,4,-22,3\n"
    "acme,alpha,A-100X,5,-30,3\n"
    "acme,beta,B-1,6,-26,1\n"
    "zeta,zz,Z-1,-3,-18,3\n"
)


def test_shipped_table_has_every_row() -> None:
    table = calibration_table()
    assert len(table.rows) == 11809
    assert sum(1 for r in table.rows if r.confidence == 3) == 306


def test_exact_model_prefers_highest_confidence_then_table_order() -> None:
    table = CalibrationTable.from_csv(SMALL)
    found = table.lookup("a-100 ")
    assert (found.tx_power, found.rssi_correction, found.confidence) == (-22, 4, 3)
    assert found.source == Fallback.MODEL


def test_real_rows() -> None:
    table = calibration_table()
    s9 = table.lookup("SM-G960F", oem="samsung")
    assert (s9.tx_power, s9.rssi_correction, s9.confidence) == (-27, 7, 3)
    pixel = table.lookup("Pixel", oem="Google", device="sailfish")
    assert (pixel.tx_power, pixel.rssi_correction, pixel.confidence) == (-26, -3, 3)


def test_sister_model_shares_the_codename() -> None:
    found = CalibrationTable.from_csv(SMALL).lookup("A-100Y", oem="ACME", device="alpha")
    assert (found.tx_power, found.rssi_correction) == (-22, 4)
    assert (found.confidence, found.source) == (1, Fallback.SISTER_MODEL)


def test_manufacturer_median_over_measured_rows() -> None:
    # acme's measured rows: tx -22, -30 -> low median -30; corrections 4, 5 -> 4.
    found = CalibrationTable.from_csv(SMALL).lookup("unknown", oem="acme")
    assert (found.tx_power, found.rssi_correction, found.confidence) == (-30, 4, 1)
    assert found.source == Fallback.MANUFACTURER


def test_global_median_over_measured_rows() -> None:
    # measured rows: tx -22, -30, -18 -> -22; corrections 4, 5, -3 -> 4.
    found = CalibrationTable.from_csv(SMALL).lookup("unknown", oem="nobody", device="x")
    assert (found.tx_power, found.rssi_correction, found.confidence) == (-22, 4, 0)
    assert found.source == Fallback.GLOBAL


def test_shipped_global_fallback() -> None:
    found = calibration_table().lookup("iPhone 11", oem="Apple")
    assert (found.tx_power, found.rssi_correction, found.confidence) == (-24, 4, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "oem,device,model\n",
        HEADER,
        HEADER + "acme,alpha,A,2,-20\n",
        HEADER + "acme,alpha,A,2,x,1\n",
        HEADER + "acme,alpha,A,2,-20,4\n",
        HEADER + "acme,alpha,,2,-20,1\n",
        HEADER + "acme,alpha,A,2,-200,1\n",
        HEADER + 'acme,"alpha,A,2,-20,1\n',
    ],
)
def test_malformed_tables(text: str) -> None:
    with pytest.raises(InvalidCalibrationTableError):
        CalibrationTable.from_csv(text)


def test_attenuation_examples() -> None:
    # Pixel 4 sending at -26 dBm heard at -80 dBm by an S9 (correction 7): -26 - (-80 + 7) = 47.
    assert attenuation(-26, -80, 7) == 47
    assert attenuation(-30, -10, 5) == 0
    assert attenuation(127, -127, -127) == 255


@pytest.mark.parametrize("args", [(-129, -80, 0), (0, 21, 0), (0, -80, 128), (True, -80, 0)])
def test_attenuation_rejects_out_of_range(args: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidSightingError):
        attenuation(*args)


@settings(deadline=None)
@given(st.integers(-128, 127), st.integers(-127, 20), st.integers(-127, 127))
def test_attenuation_is_the_floored_difference(tx: int, rssi: int, correction: int) -> None:
    assert attenuation(tx, rssi, correction) == min(max(tx - rssi - correction, 0), 255)
