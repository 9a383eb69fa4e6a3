"""Typed public APIs refuse wrong types and values with a ProtocolError, never another error.

Interval numbers are checked strictly (KS-2): bool, float, str and out-of-range ints are all
an InvalidIntervalError, raised on construction or call, not a TypeError or struct.error later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import InvalidIntervalError, ProtocolError
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    check_interval,
    cut_for_report,
    day_start_interval,
    derive_rpi,
    derive_rpis,
    interval_number,
    new_temporary_exposure_key,
    padded_data,
    rpi_from_rpik,
)
from bluezone.protocol.matching import Sighting, check_exposures
from bluezone.protocol.receiver import HeardSighting, ScanPeriod
from bluezone.protocol.schedule import AdvertisingSchedule

DAY = 2642976
TEK = bytes(range(16))
KEY = TemporaryExposureKey(TEK, DAY)
SIGHTING = Sighting(derive_rpi(TEK, DAY + 1), DAY + 1)

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**32 - 200, max_value=2**32 + 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.builds(object),
)

# Each API with one argument replaced by the drawn value, the others valid.
CALLS: dict[str, Callable[[object], object]] = {
    "check_interval": check_interval,
    "interval_number": interval_number,
    "day_start_interval": day_start_interval,
    "padded_data": padded_data,
    "derive_rpi interval": lambda v: derive_rpi(TEK, v),
    "derive_rpi key": lambda v: derive_rpi(v, DAY),
    "derive_rpis first": lambda v: derive_rpis(TEK, v, 3),
    "derive_rpis count": lambda v: derive_rpis(TEK, DAY, v),
    "rpi_from_rpik": lambda v: rpi_from_rpik(TEK, v),
    "new key random": lambda v: new_temporary_exposure_key(v, DAY),
    "new key interval": lambda v: new_temporary_exposure_key(TEK, v),
    "key start": lambda v: TemporaryExposureKey(TEK, v),
    "key period": lambda v: TemporaryExposureKey(TEK, DAY, v),
    "check_publishable": KEY.check_publishable,
    "cut_for_report": lambda v: cut_for_report(KEY, v),
    "metadata tx_power": Metadata.for_tx_power,
    "metadata confidence": lambda v: Metadata.for_tx_power(0, v),
    "sighting rpi": lambda v: Sighting(v, DAY),
    "sighting interval": lambda v: Sighting(SIGHTING.rpi, v),
    "sighting aem": lambda v: Sighting(SIGHTING.rpi, DAY, v),
    "sighting rssi": lambda v: Sighting(SIGHTING.rpi, DAY, None, v),
    "check_exposures now": lambda v: check_exposures([KEY], [SIGHTING], v),
    "heard_s": lambda v: HeardSighting(SIGHTING, v),
    "scan start": lambda v: ScanPeriod(v, 10**9),
    "schedule now": lambda v: AdvertisingSchedule(Metadata.for_tx_power(0)).rotate(
        v, TEK, bytes(4)
    ),
    "schedule random": lambda v: AdvertisingSchedule(Metadata.for_tx_power(0)).rotate(
        DAY * 600.0, TEK, v
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(deadline=None)
@given(value=ANYTHING)
def test_wrong_inputs_raise_only_protocol_errors(name: str, value: object):
    with contextlib.suppress(ProtocolError):
        CALLS[name](value)


@pytest.mark.parametrize("value", [True, False, 5.0, 5.5, "5", None, -1, 2**32])
@pytest.mark.parametrize(
    "name", ["check_interval", "padded_data", "sighting interval", "key start", "cut_for_report"]
)
def test_intervals_are_ints_in_range(name: str, value: object):
    with pytest.raises(InvalidIntervalError):
        CALLS[name](value)
