"""Property tests: parsers of hostile JSON raise only ProtocolError; scores ignore order."""

from __future__ import annotations

import contextlib
from copy import deepcopy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.aggregation import DiagnosisKeysDataMapping
from bluezone.protocol.risk.calibration import CalibrationTable
from bluezone.protocol.risk.cwa import (
    CwaConfiguration,
    CwaPlatform,
    round_day_normalized_time,
    score_cwa,
)
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, V2Profile, score_v2
from bluezone.protocol.risk.windows import windows_from_json, windows_to_json
from tests.protocol.risk.strategies import exposure_windows, json_values, weights
from tests.protocol.risk.vectors import load

PARSERS = [
    CwaConfiguration.from_json,
    DailySummariesConfig.from_json,
    ExposureConfiguration.from_json,
    DiagnosisKeysDataMapping.from_json,
    V2Profile.from_json,
    windows_from_json,
]


def _first_valid_config(name: str) -> Any:
    data = load(name)
    return next(
        t["inputs"]["config"]
        for g in data["testGroups"]
        for t in g["tests"]
        if t["result"] == "valid"
    )


CWA_CONFIG = CwaConfiguration.from_json(_first_valid_config("risk-cwa.json"))
V1_CONFIG = ExposureConfiguration.from_json(_first_valid_config("risk-v1.json"))
V2_JSON = _first_valid_config("risk-v2.json")


def _parse_only_protocol_errors(parser: Any, value: Any) -> None:
    with contextlib.suppress(ProtocolError):
        parser(value)


@settings(deadline=None)
@given(json_values)
def test_parsers_of_random_json_raise_only_protocol_errors(value: Any) -> None:
    for parser in PARSERS:
        _parse_only_protocol_errors(parser, value)


def _mutations(document: Any) -> st.SearchStrategy[Any]:
    """A valid document with one value somewhere replaced by random JSON."""

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        if isinstance(node, dict):
            for key, child in node.items():
                found += paths(child, (*prefix, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                found += paths(child, (*prefix, index))
        return found

    def replace(path: tuple[Any, ...], value: Any) -> Any:
        copy = deepcopy(document)
        if not path:
            return value
        node = copy
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return copy

    return st.builds(replace, st.sampled_from(paths(document)), json_values)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_valid_configurations_raise_only_protocol_errors(data: st.DataObject) -> None:
    for name, parser in (
        ("risk-cwa.json", CwaConfiguration.from_json),
        ("risk-v2.json", DailySummariesConfig.from_json),
        ("risk-v1.json", ExposureConfiguration.from_json),
    ):
        _parse_only_protocol_errors(parser, data.draw(_mutations(_first_valid_config(name))))


@settings(deadline=None)
@given(st.text(max_size=300))
def test_calibration_text_raises_only_protocol_errors(text: str) -> None:
    _parse_only_protocol_errors(CalibrationTable.from_csv, text)
    header = "oem,device, model,rssi correction,tx,calibration confidence\n"
    _parse_only_protocol_errors(CalibrationTable.from_csv, header + text)


@settings(deadline=None)
@given(st.lists(exposure_windows, max_size=8))
def test_windows_json_round_trip(windows: list[Any]) -> None:
    assert windows_from_json(windows_to_json(windows)) == tuple(windows)


@settings(deadline=None)
@given(
    st.lists(exposure_windows, max_size=8),
    st.randoms(use_true_random=False),
    st.sampled_from(CwaPlatform),
)
def test_cwa_verdict_is_independent_of_window_order(
    windows: list[Any], rng: Any, platform: CwaPlatform
) -> None:
    shuffled = list(windows)
    rng.shuffle(shuffled)
    assert score_cwa(CWA_CONFIG, windows, platform) == score_cwa(CWA_CONFIG, shuffled, platform)


@given(st.fractions(min_value=0, max_value=10**6))
def test_android_rounding_is_to_the_nearest_tenth_half_up(value: Fraction) -> None:
    rounded = round_day_normalized_time(value)
    assert (rounded * 10).denominator == 1
    assert value - Fraction(1, 20) < rounded <= value + Fraction(1, 20)


def test_android_rounding_at_its_edges() -> None:
    assert round_day_normalized_time(Fraction("8.95")) == 9
    assert round_day_normalized_time(Fraction("8.96")) == 9
    assert round_day_normalized_time(Fraction("8.94")) == Fraction("8.9")


@given(json_values)
def test_platform_is_android_or_ios_or_an_error(value: Any) -> None:
    if value in ("android", "ios"):
        assert CwaPlatform.from_json(value).value == value
    else:
        with pytest.raises(ProtocolError) as caught:
            CwaPlatform.from_json(value)
        assert caught.value.code == "invalid_risk_configuration"


@settings(deadline=None)
@given(st.lists(exposure_windows, max_size=8))
def test_ios_counts_the_encounters_of_every_day_android_of_mapped_days(
    windows: list[Any],
) -> None:
    android = score_cwa(CWA_CONFIG, windows, CwaPlatform.ANDROID)
    ios = score_cwa(CWA_CONFIG, windows, CwaPlatform.IOS)
    for field in (
        "total_minimum_distinct_encounters_with_low_risk",
        "total_minimum_distinct_encounters_with_high_risk",
    ):
        assert getattr(ios, field) >= getattr(android, field)
    assert sum(d.minimum_distinct_encounters_with_low_risk for d in android.days) == (
        android.total_minimum_distinct_encounters_with_low_risk
    )


@settings(deadline=None)
@given(
    st.lists(exposure_windows, max_size=8),
    st.randoms(use_true_random=False),
    st.lists(weights, min_size=4, max_size=4),
)
def test_v2_summaries_are_independent_of_window_order(
    windows: list[Any], rng: Any, bucket_weights: list[Decimal]
) -> None:
    config = DailySummariesConfig.from_json(
        {**V2_JSON, "attenuation_bucket_weights": bucket_weights}
    )
    shuffled = list(windows)
    rng.shuffle(shuffled)
    assert score_v2(config, windows) == score_v2(config, shuffled)


@settings(deadline=None)
@given(st.lists(exposure_windows, max_size=8), st.randoms(use_true_random=False))
def test_v1_summary_is_independent_of_window_order(windows: list[Any], rng: Any) -> None:
    shuffled = list(windows)
    rng.shuffle(shuffled)
    assert score_v1(V1_CONFIG, windows, 19000) == score_v1(V1_CONFIG, shuffled, 19000)


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 255), min_size=3, max_size=3).map(sorted),
    st.lists(weights, min_size=4, max_size=4),
    st.lists(weights, min_size=6, max_size=6),
    st.decimals(min_value=0, max_value=10_000, places=2),
)
def test_v2_configuration_round_trip(
    thresholds: list[int], bucket: list[Decimal], named: list[Decimal], minimum: Decimal
) -> None:
    config = DailySummariesConfig.from_json(
        {
            "attenuation_bucket_thresholds_db": thresholds,
            "attenuation_bucket_weights": bucket,
            "infectiousness_weights": {"standard": named[0], "high": named[1]},
            "report_type_weights": {
                "confirmed_test": named[2],
                "confirmed_clinical_diagnosis": named[3],
                "self_report": named[4],
                "recursive": named[5],
            },
            "minimum_window_score": minimum,
        }
    )
    assert DailySummariesConfig.from_json(config.to_json()) == config
