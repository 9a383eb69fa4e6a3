"""Hypothesis strategies for risk inputs: JSON values, windows and configurations."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType, ScanInstance

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=5),
    ),
    max_leaves=25,
)

scan_instances = st.builds(
    ScanInstance,
    typical_attenuation_db=st.integers(0, 255),
    min_attenuation_db=st.integers(0, 255),
    seconds_since_last_scan=st.integers(-300, 600),
)
exposure_windows = st.builds(
    ExposureWindow,
    day=st.integers(18990, 19000),
    report_type=st.sampled_from(
        [
            ReportType.CONFIRMED_TEST,
            ReportType.CONFIRMED_CLINICAL_DIAGNOSIS,
            ReportType.SELF_REPORT,
            ReportType.RECURSIVE,
        ]
    ),
    infectiousness=st.sampled_from([Infectiousness.STANDARD, Infectiousness.HIGH]),
    calibration_confidence=st.integers(0, 3),
    scan_instances=st.lists(scan_instances, max_size=6).map(tuple),
)
weights = st.decimals(min_value=0, max_value=Decimal("2.5"), places=2)
