"""Sightings to scan instances to exposure windows (RISK-4, RISK-5, RISK-6)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.aggregation import (
    DiagnosisKeysDataMapping,
    KeyReport,
    Scan,
    ScanSighting,
    exposure_windows,
    typical_attenuation,
)
from bluezone.protocol.risk.errors import InvalidConfigurationError, InvalidSightingError
from bluezone.protocol.risk.windows import (
    Infectiousness,
    ReportType,
    ScanInstance,
    windows_to_json,
)
from bluezone.reference_node.risk_profiles import v2_profile
from tests.vectorfiles import cases

DAY = 19000
T0 = DAY * 86400 + 12 * 3600  # noon UTC
MAPPING = DiagnosisKeysDataMapping(
    days_since_onset_to_infectiousness={0: Infectiousness.HIGH, 5: Infectiousness.STANDARD},
    infectiousness_when_days_since_onset_missing=Infectiousness.STANDARD,
    report_type_when_missing=ReportType.CONFIRMED_TEST,
)


def sighting(key: int, att: int, confidence: int = 3) -> ScanSighting:
    return ScanSighting(key=key, attenuation_db=att, calibration_confidence=confidence)


def test_typical_is_the_mean_rounded_half_up() -> None:
    assert typical_attenuation([50, 51]) == 51  # 50.5 -> 51
    assert typical_attenuation([50, 50, 51]) == 50  # 50.33 -> 50
    assert typical_attenuation([60]) == 60


def test_scan_instances_and_seconds() -> None:
    scans = [
        Scan(T0, (sighting(0, 50), sighting(0, 56), sighting(1, 70, confidence=1))),
        Scan(T0 + 200, ()),
        Scan(T0 + 400, (sighting(0, 60),)),
        Scan(T0 + 1200, (sighting(0, 62, confidence=2),)),
    ]
    windows = exposure_windows(scans, [KeyReport(), KeyReport(ReportType.RECURSIVE, 0)], MAPPING)
    assert len(windows) == 2
    first, second = windows
    assert first.scan_instances == (
        ScanInstance(53, 50, 300),  # first scan of the series counts 300 s
        ScanInstance(60, 60, 200),
        ScanInstance(62, 62, 300),  # 800 s gap capped at 300
    )
    assert (first.day, first.report_type, first.infectiousness) == (
        DAY,
        ReportType.CONFIRMED_TEST,
        Infectiousness.STANDARD,
    )
    assert first.calibration_confidence == 2
    assert second.report_type == ReportType.RECURSIVE
    assert second.infectiousness == Infectiousness.HIGH
    assert second.scan_instances == (ScanInstance(70, 70, 300),)


def test_windows_split_at_30_minutes_and_at_utc_midnight() -> None:
    starts = [T0, T0 + 1799, T0 + 1800, DAY * 86400 + 86400 - 60, DAY * 86400 + 86400 + 60]
    scans = [Scan(s, (sighting(0, 55),)) for s in starts]
    windows = exposure_windows(scans, [KeyReport()], MAPPING)
    assert [len(w.scan_instances) for w in windows] == [2, 1, 1, 1]
    assert [w.day for w in windows] == [DAY, DAY, DAY, DAY + 1]


def test_revoked_and_not_infectious_keys_give_no_window() -> None:
    scans = [Scan(T0, (sighting(0, 50), sighting(1, 50)))]
    keys = [KeyReport(ReportType.REVOKED), KeyReport(days_since_onset=-7)]
    assert exposure_windows(scans, keys, MAPPING) == ()


def test_out_of_order_scans_and_unknown_keys_are_rejected() -> None:
    with pytest.raises(InvalidSightingError):
        exposure_windows([Scan(T0), Scan(T0)], [], MAPPING)
    with pytest.raises(InvalidSightingError):
        exposure_windows([Scan(T0, (sighting(3, 50),))], [KeyReport()], MAPPING)


def test_mapping_rejects_unscorable_report_type_when_missing() -> None:
    with pytest.raises(InvalidConfigurationError):
        DiagnosisKeysDataMapping(report_type_when_missing=ReportType.REVOKED)


def test_enx_mapping_round_trips() -> None:
    mapping = v2_profile().diagnosis_keys_data_mapping
    assert DiagnosisKeysDataMapping.from_json(mapping.to_json()) == mapping
    assert mapping.infectiousness(-3) == Infectiousness.STANDARD
    assert mapping.infectiousness(0) == Infectiousness.HIGH
    assert mapping.infectiousness(9) == Infectiousness.NONE


@settings(deadline=None)
@given(
    st.lists(st.integers(1, 900), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 255)), min_size=1, max_size=40),
)
def test_windows_respect_their_bounds(gaps: list[int], heard: list[tuple[int, int]]) -> None:
    starts = [T0 + sum(gaps[: i + 1]) for i in range(len(gaps))]
    scans = [Scan(start, (sighting(*heard[i % len(heard)]),)) for i, start in enumerate(starts)]
    windows = exposure_windows(scans, [KeyReport()] * 3, MAPPING)
    assert sum(len(w.scan_instances) for w in windows) == len(scans)
    for w in windows:
        assert all(0 < s.seconds_since_last_scan <= 300 for s in w.scan_instances)
        assert all(s.min_attenuation_db <= s.typical_attenuation_db for s in w.scan_instances)


@pytest.mark.parametrize("test", cases("risk-aggregation.json", "ExposureWindows"))
def test_vectors(test):
    """Every case of spec/vectors/risk-aggregation.json, through the library's own types."""
    inputs = test["inputs"]

    def compute() -> dict:
        scans = [
            Scan(
                scan["start_s"],
                tuple(
                    ScanSighting(s["key"], s["attenuation_db"], s["calibration_confidence"])
                    for s in scan["sightings"]
                ),
            )
            for scan in inputs["scans"]
        ]
        keys = [
            KeyReport(
                None if k["report_type"] is None else ReportType(k["report_type"]),
                k["days_since_onset"],
            )
            for k in inputs["keys"]
        ]
        mapping = DiagnosisKeysDataMapping.from_json(inputs["mapping"])
        return {"windows": windows_to_json(exposure_windows(scans, keys, mapping))}

    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as raised:
            compute()
        assert raised.value.code == test["expected"]["error"]
    else:
        assert compute() == test["expected"]
