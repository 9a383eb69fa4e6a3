"""Result checks of the risk ops: shapes, the RISK-7 tolerance, exact integers (IOP-27..30)."""

from __future__ import annotations

import pytest

from bluezone.interop_tests.risk_checks import close, risk_shape_error, same

SUMMARY = {"day": 18999, "score_sum": 1, "maximum_score": 0.1, "weighted_duration_sum": 1}
CWA = {
    "total_risk_level": 2,
    "most_recent_day_with_low_risk": None,
    "most_recent_day_with_high_risk": 18999,
    "number_of_days_with_low_risk": 0,
    "number_of_days_with_high_risk": 1,
    "total_minimum_distinct_encounters_with_low_risk": 0,
    "total_minimum_distinct_encounters_with_high_risk": 1,
}
V1 = {
    "matched_exposures": 1,
    "maximum_risk_score": 192,
    "summation_risk_score": 192,
    "days_since_last_exposure": None,
    "attenuation_durations_minutes": [0, 5, 0],
}


def test_well_formed_results_pass_the_shape_checks():
    assert risk_shape_error("score_v2", {"daily_summaries": [SUMMARY]}) is None
    assert risk_shape_error("score_v2", {"daily_summaries": []}) is None
    assert risk_shape_error("score_cwa", CWA) is None
    assert risk_shape_error("score_v1", V1) is None


@pytest.mark.parametrize(
    ("op", "result"),
    [
        ("score_v2", {}),
        ("score_v2", {"daily_summaries": [{**SUMMARY, "day": 18999.5}]}),
        ("score_v2", {"daily_summaries": [{**SUMMARY, "score_sum": "1"}]}),
        ("score_v2", {"daily_summaries": [{**SUMMARY, "maximum_score": True}]}),
        ("score_cwa", {**CWA, "total_risk_level": None}),
        ("score_cwa", {**CWA, "number_of_days_with_high_risk": True}),
        ("score_v1", {**V1, "attenuation_durations_minutes": [0, 5]}),
        ("score_v1", {**V1, "matched_exposures": 1.5}),
    ],
)
def test_malformed_results_are_named(op, result):
    assert risk_shape_error(op, result)


def test_scores_agree_within_the_tolerance_and_nothing_else_does():
    assert close(1, 0.9999999999999999)
    assert close(0.0, 1e-12)
    assert not close(1, 1.000001)
    assert not close(1, True)
    want = {"daily_summaries": [SUMMARY]}
    drifted = {**SUMMARY, "score_sum": 0.9999999999999999}
    assert same(want, {"daily_summaries": [drifted]})
    assert not same(want, {"daily_summaries": [{**SUMMARY, "day": 18999.0000001}]})
    assert not same(want, {"daily_summaries": [SUMMARY, SUMMARY]})
    assert not same(CWA, {**CWA, "total_risk_level": 2.0000000001})
    assert not same(CWA, {**CWA, "most_recent_day_with_low_risk": 0})
    assert not same({"x": 1}, {"x": True})
    assert same(CWA, {**CWA, "extra_field": 1})
