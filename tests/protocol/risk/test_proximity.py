"""The proximity profile: unscented smoother, kernel, scores, configuration, fit (RISK-50..57)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.errors import InvalidConfigurationError, InvalidGroundTruthError
from bluezone.protocol.risk.proximity import (
    ProximityConfig,
    day_probability,
    expected_kernel,
    proximity_window_score,
    score_proximity,
    smooth_window,
)
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType, ScanInstance
from bluezone.reference_node.lab.proximity_fit import PathLossSample, fit_path_loss
from tests.protocol.risk.strategies import exposure_windows, json_values

# The parameters of the worked examples of RISK-57 and RISK-58 (spec 5.8), written out: the
# shipped profile (spec/profiles/proximity.json) is refitted by spec 5.8.1's procedure.
WORKED_EXAMPLE: dict[str, Any] = {
    "attenuation_at_1m_db": 55.27,
    "path_loss_exponent": 1.863,
    "min_attenuation_offset_db": 4.42,
    "typical_variance_db2": 34.39,
    "min_variance_db2": 35.19,
    "typical_min_covariance_db2": 30.62,
    "shared_variance_db2": 33.05,
    "process_variance_per_s": 0.001,
    "prior_median_m": 2.0,
    "prior_log_variance": 1.0,
    "minimum_distance_m": 0.1,
    "kernel_distance_m": 2.0,
    "ut_alpha": 1.0,
    "ut_beta": 2.0,
    "ut_kappa": 2.0,
    "score_threshold_s": 900,
    "infectiousness_weights": {"standard": 0.3, "high": 1.0},
    "report_type_weights": {
        "confirmed_test": 1.0,
        "confirmed_clinical_diagnosis": 1.0,
        "self_report": 1.0,
        "recursive": 0.0,
    },
}
CONFIG = ProximityConfig.from_json(WORKED_EXAMPLE)


def window(*scans: tuple[int, int, int], day: int = 19000) -> ExposureWindow:
    return ExposureWindow(
        day,
        ReportType.CONFIRMED_TEST,
        Infectiousness.HIGH,
        3,
        tuple(ScanInstance(*s) for s in scans),
    )


def linear_kalman_smoother(config: ProximityConfig, w: ExposureWindow) -> list[tuple[float, float]]:
    """A plain linear Kalman filter and RTS smoother on ln d, written separately for the test."""
    slope = config.path_loss_exponent * 10.0 / math.log(10.0)
    h = np.array([slope, slope])
    a = np.array(
        [
            config.attenuation_at_1m_db,
            config.attenuation_at_1m_db - config.min_attenuation_offset_db,
        ]
    )
    r = np.array(
        [
            [config.typical_variance_db2, config.typical_min_covariance_db2],
            [config.typical_min_covariance_db2, config.min_variance_db2],
        ]
    )
    m, p = math.log(config.prior_median_m), config.prior_log_variance
    filtered, predicted = [], []
    for s in w.scan_instances:
        p += config.process_variance_per_s * max(s.seconds, 1)
        predicted.append((m, p))
        gain = p * np.linalg.solve(np.outer(h, h) * p + r, h)
        y = np.array([s.typical_attenuation_db, s.min_attenuation_db], dtype=float)
        m, p = m + gain @ (y - (a + h * m)), p - (gain @ h) * p
        filtered.append((m, p))
    smoothed = list(filtered)
    for t in range(len(filtered) - 2, -1, -1):
        g = filtered[t][1] / predicted[t + 1][1]
        smoothed[t] = (
            filtered[t][0] + g * (smoothed[t + 1][0] - predicted[t + 1][0]),
            filtered[t][1] + g * g * (smoothed[t + 1][1] - predicted[t + 1][1]),
        )
    return smoothed


def test_worked_example_of_the_spec() -> None:
    w = window((60, 55, 300), (52, 48, 300))
    first, second = smooth_window(CONFIG, w)
    assert CONFIG.shared_log_variance == pytest.approx(0.505, abs=1e-3)
    assert (first.log_mean, first.log_variance) == pytest.approx((0.289, 0.753), abs=1e-3)
    assert first.median_m == pytest.approx(1.335, abs=1e-3)
    assert (first.low_m, first.high_m) == pytest.approx((0.560, 3.181), abs=1e-3)
    assert (second.log_mean, second.log_variance) == pytest.approx((0.038, 0.789), abs=1e-3)
    assert second.median_m == pytest.approx(1.038, abs=1e-3)
    assert expected_kernel(CONFIG, first) == pytest.approx(0.679, abs=1e-3)
    assert expected_kernel(CONFIG, second) == pytest.approx(0.770, abs=1e-3)
    assert proximity_window_score(CONFIG, w) == pytest.approx(434.7, abs=0.1)


def test_the_shared_offset_widens_every_estimate_and_moves_none() -> None:
    w = window((60, 55, 300), (52, 48, 300), (70, 66, 240))
    alone = dataclasses.replace(CONFIG, shared_variance_db2=0.0)
    wider = dataclasses.replace(CONFIG, shared_variance_db2=100.0)
    slope = CONFIG.path_loss_exponent * 10.0 / math.log(10.0)
    for a, b in zip(smooth_window(alone, w), smooth_window(wider, w), strict=True):
        assert b.log_mean == a.log_mean
        assert b.log_variance == pytest.approx(a.log_variance + 100.0 / slope**2)
    # Less certain distances: kernels nearer 1/2, so a near window scores less, a far one more.
    near = window((45, 40, 300), (46, 41, 300))
    far = window((80, 75, 300), (81, 76, 300))
    assert proximity_window_score(wider, near) < proximity_window_score(alone, near)
    assert proximity_window_score(wider, far) > proximity_window_score(alone, far)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(52, 90), st.integers(0, 8), st.integers(1, 300)),
        min_size=1,
        max_size=10,
    )
)
def test_unscented_smoother_equals_the_linear_one_where_the_model_is_linear(
    scans: list[tuple[int, int, int]],
) -> None:
    # Attenuations far above 0 dB and distances far above the 0.1 m floor: h is linear in ln d.
    w = window(*[(t, t - d, s) for t, d, s in scans])
    expected = linear_kalman_smoother(CONFIG, w)
    for estimate, (m, p) in zip(smooth_window(CONFIG, w), expected, strict=True):
        assert estimate.log_mean == pytest.approx(m, rel=1e-9, abs=1e-9)
        shared = CONFIG.shared_log_variance
        assert estimate.log_variance == pytest.approx(p + shared, rel=1e-9, abs=1e-12)


def test_closer_means_higher_score_and_no_scans_means_zero() -> None:
    near = proximity_window_score(CONFIG, window((45, 40, 300), (46, 41, 300)))
    far = proximity_window_score(CONFIG, window((75, 70, 300), (76, 71, 300)))
    assert near > far > 0.0
    assert proximity_window_score(CONFIG, window()) == 0.0


def test_zero_attenuation_and_huge_gaps_stay_finite() -> None:
    estimates = smooth_window(CONFIG, window((0, 0, 0), (255, 255, 86400), (0, 0, -5)))
    assert all(math.isfinite(e.log_mean) and e.log_variance > 0 for e in estimates)


def test_recursive_reports_take_their_own_weight() -> None:
    scans = ((50, 45, 300),)
    confirmed = window(*scans)
    recursive = dataclasses.replace(confirmed, report_type=ReportType.RECURSIVE)
    weighted = dataclasses.replace(
        CONFIG, report_type_weights={**CONFIG.report_type_weights, ReportType.RECURSIVE: 0.5}
    )
    assert proximity_window_score(CONFIG, recursive) == 0.0
    assert proximity_window_score(weighted, recursive) == pytest.approx(
        0.5 * proximity_window_score(weighted, confirmed)
    )


@settings(deadline=None, max_examples=50)
@given(st.lists(exposure_windows, max_size=6), st.randoms(use_true_random=False))
def test_scores_are_independent_of_window_order(windows: list[Any], rng: Any) -> None:
    shuffled = list(windows)
    rng.shuffle(shuffled)
    assert score_proximity(CONFIG, windows) == score_proximity(CONFIG, shuffled)


@settings(deadline=None)
@given(json_values)
def test_configuration_parsing_raises_only_protocol_errors(value: Any) -> None:
    with contextlib.suppress(ProtocolError):
        ProximityConfig.from_json(value)


def test_configuration_round_trip_and_positive_definite_noise() -> None:
    assert ProximityConfig.from_json(CONFIG.to_json()) == CONFIG
    bad = {**CONFIG.to_json(), "typical_min_covariance_db2": 80.0}
    with pytest.raises(InvalidConfigurationError):
        ProximityConfig.from_json(bad)


def synthetic_samples(seed: int) -> list[PathLossSample]:
    """Scans drawn from the RISK-50 model with A1 = 50, n = 2, delta = 5, model offsets +-4,
    an encounter offset of variance tau^2 = 16 and scan noise R = [[9.25, 9], [9, 9]] (plus
    1/12 on each diagonal from rounding to whole dB)."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(600):
        distance = float(rng.choice([1.0, 1.5, 2.0, 3.0, 5.0]))
        model = ("phone-a", "phone-b")[index % 2]
        shift = 4.0 if model == "phone-a" else -4.0
        mean = 50.0 + shift + 20.0 * math.log10(distance) + rng.normal(0.0, 4.0)
        scans = []
        for _ in range(5):
            noise = rng.normal(0.0, 3.0)
            typical = round(mean + noise + rng.normal(0.0, 0.5))
            scans.append((typical, round(mean + noise - 5.0), 300))
        samples.append(PathLossSample((window(*scans),), distance, model))
    return samples


def test_fit_recovers_the_model() -> None:
    fit = fit_path_loss(synthetic_samples(7), model_prior_scans=1.0)
    assert fit.path_loss_exponent == pytest.approx(2.0, abs=0.1)
    assert fit.min_attenuation_offset_db == pytest.approx(5.0, abs=0.2)
    a = fit.attenuation_at_1m_db
    assert a + fit.model_offsets_db["phone-a"] == pytest.approx(54.0, abs=0.5)
    assert a + fit.model_offsets_db["phone-b"] == pytest.approx(46.0, abs=0.5)
    config = fit.config(CONFIG, "phone-a")
    assert config.attenuation_at_1m_db == pytest.approx(54.0, abs=0.5)
    assert fit.config(CONFIG, "unknown").attenuation_at_1m_db == pytest.approx(a)
    assert (fit.scan_instances, fit.encounters) == (3000, 600)


def test_fit_splits_the_noise_into_scan_and_encounter_components() -> None:
    fit = fit_path_loss(synthetic_samples(11), model_prior_scans=1.0)
    assert fit.typical_variance_db2 == pytest.approx(9.33, abs=0.8)
    assert fit.min_variance_db2 == pytest.approx(9.08, abs=0.8)
    assert fit.typical_min_covariance_db2 == pytest.approx(9.0, abs=0.8)
    assert fit.shared_variance_db2 == pytest.approx(16.0, abs=3.0)
    assert fit.config(CONFIG).shared_variance_db2 == fit.shared_variance_db2


def test_fit_takes_a_distance_per_scan() -> None:
    # One encounter walking away: 1 m, 2 m, 4 m, 8 m at 50 + 20 log10 d; another at 1.5 m.
    scans = [
        (round(50 + 20 * math.log10(d)), round(45 + 20 * math.log10(d)), 60) for d in (1, 2, 4, 8)
    ]
    walking = PathLossSample((window(*scans),), 1.0, None, (1.0, 2.0, 4.0, 8.0))
    still = PathLossSample((window((54, 49, 60), (53, 48, 60)),), 1.5)
    fit = fit_path_loss([walking, still])
    assert fit.path_loss_exponent == pytest.approx(2.0, abs=0.05)
    assert fit.encounters == 2
    with pytest.raises(InvalidGroundTruthError):
        fit_path_loss([dataclasses.replace(walking, scan_distances_m=(1.0, 2.0)), still])
    with pytest.raises(InvalidGroundTruthError):
        fit_path_loss([dataclasses.replace(walking, scan_distances_m=(1.0, 2.0, 4.0, math.nan))])


def test_fit_needs_two_distances_two_encounters_and_repeated_scans() -> None:
    one = [PathLossSample((window((60, 55, 300)),), 2.0)] * 3
    with pytest.raises(InvalidGroundTruthError):
        fit_path_loss(one)
    with pytest.raises(InvalidGroundTruthError):
        fit_path_loss([PathLossSample((window((60, 55, 300)),), -1.0)])
    with pytest.raises(InvalidGroundTruthError):
        fit_path_loss([])
    singles = [PathLossSample((window((60 + d, 55 + d, 300)),), float(d)) for d in (1, 2, 3)]
    with pytest.raises(InvalidGroundTruthError, match="two or more scans"):
        fit_path_loss(singles)
    scans = window((50, 45, 60), (62, 57, 60), (68, 63, 60))
    both = PathLossSample((scans,), 1.0, None, (1.0, 4.0, 8.0))
    with pytest.raises(InvalidGroundTruthError, match="two or more encounters"):
        fit_path_loss([both])


def test_day_probability_of_the_worked_example() -> None:
    w = window((60, 55, 300), (52, 48, 300))
    (day,) = score_proximity(CONFIG, [w])
    assert day.probability == 0.0  # 600 s heard, fewer than the 900 s threshold
    at_600 = dataclasses.replace(CONFIG, score_threshold_s=600.0)
    at_300 = dataclasses.replace(CONFIG, score_threshold_s=300.0)
    assert score_proximity(at_600, [w])[0].probability == pytest.approx(0.679, abs=1e-3)
    assert score_proximity(at_300, [w])[0].probability == pytest.approx(0.770, abs=1e-3)
    at_0 = dataclasses.replace(CONFIG, score_threshold_s=0.0)
    assert score_proximity(at_0, [w])[0].probability == 1.0


def test_day_probability_is_the_kernel_at_the_threshold_in_decreasing_z() -> None:
    terms = [(0.5, 300.0), (-1.0, 600.0), (2.0, 300.0), (0.0, 300.0)]
    # Decreasing z: 2.0 (300 s), 0.5 (600 s), 0.0 (900 s): the threshold is reached at z = 0.
    assert day_probability(CONFIG, terms) == pytest.approx(0.5)
    assert day_probability(CONFIG, terms[::-1]) == day_probability(CONFIG, terms)
    assert day_probability(CONFIG, [(3.0, 899.0)]) == 0.0
    # More time at the same distances never lowers the probability.
    assert day_probability(CONFIG, [*terms, (1.0, 300.0)]) >= day_probability(CONFIG, terms)


def test_day_probability_counts_weighted_seconds() -> None:
    scans = ((50, 45, 300), (50, 45, 300), (50, 45, 300), (50, 45, 300))
    confirmed = window(*scans)
    recursive = dataclasses.replace(confirmed, report_type=ReportType.RECURSIVE)
    assert score_proximity(CONFIG, [confirmed])[0].probability > 0.5
    assert score_proximity(CONFIG, [recursive])[0].probability == 0.0
