"""Proximity-aware scoring, an optional profile (spec RISK-50..RISK-57).

Per exposure window: a distance estimate with its uncertainty at every scan, from a
log-distance path-loss model observed through each scan's typical and minimum attenuation and
an unscented Kalman (Rauch-Tung-Striebel) smoother over the window's series, with the log of
the distance as state; then risk = infectiousness weight x report type weight x the sum over
scans of seconds x P(distance <= kernel distance). Binary floating point (numpy); sums use
``math.fsum`` so results do not depend on window order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from bluezone.protocol.params import (
    PROXIMITY_MAX_DISTANCE_M,
    PROXIMITY_MAX_LOG_VARIANCE,
    PROXIMITY_MAX_PROCESS_VARIANCE,
    PROXIMITY_MAX_VARIANCE_DB2,
    PROXIMITY_MIN_SECONDS,
)
from bluezone.protocol.risk.errors import InvalidConfigurationError
from bluezone.protocol.risk.jsonvalues import read_decimal, read_object
from bluezone.protocol.risk.v2 import INFECTIOUSNESS_NAMES, REPORT_TYPE_NAMES
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType

__all__ = [
    "DistanceEstimate",
    "ProximityConfig",
    "ProximityDaySummary",
    "day_probability",
    "expected_kernel",
    "kernel_z",
    "proximity_window_score",
    "score_proximity",
    "smooth_window",
]

_ERR = InvalidConfigurationError
# dB per natural-log unit of distance for a path-loss exponent of 1: 10 / ln 10.
_DB_PER_LN = 10.0 / math.log(10.0)


@dataclass(frozen=True, slots=True)
class ProximityConfig:
    """Parameters of the proximity profile (spec 5.8, RISK-50..RISK-56)."""

    attenuation_at_1m_db: float
    path_loss_exponent: float
    min_attenuation_offset_db: float
    typical_variance_db2: float
    min_variance_db2: float
    typical_min_covariance_db2: float
    shared_variance_db2: float
    process_variance_per_s: float
    prior_median_m: float
    prior_log_variance: float
    minimum_distance_m: float
    kernel_distance_m: float
    ut_alpha: float
    ut_beta: float
    ut_kappa: float
    score_threshold_s: float
    infectiousness_weights: Mapping[Infectiousness, float]
    report_type_weights: Mapping[ReportType, float]

    _NUMBERS = (
        ("attenuation_at_1m_db", 0.0, 255.0),
        ("path_loss_exponent", 0.1, 10.0),
        ("min_attenuation_offset_db", 0.0, 100.0),
        ("typical_variance_db2", 0.01, PROXIMITY_MAX_VARIANCE_DB2),
        ("min_variance_db2", 0.01, PROXIMITY_MAX_VARIANCE_DB2),
        ("typical_min_covariance_db2", -PROXIMITY_MAX_VARIANCE_DB2, PROXIMITY_MAX_VARIANCE_DB2),
        ("shared_variance_db2", 0.0, PROXIMITY_MAX_VARIANCE_DB2),
        ("process_variance_per_s", 0.0, PROXIMITY_MAX_PROCESS_VARIANCE),
        ("prior_median_m", 0.01, PROXIMITY_MAX_DISTANCE_M),
        ("prior_log_variance", 0.0001, PROXIMITY_MAX_LOG_VARIANCE),
        ("minimum_distance_m", 0.01, PROXIMITY_MAX_DISTANCE_M),
        ("kernel_distance_m", 0.01, PROXIMITY_MAX_DISTANCE_M),
        ("ut_alpha", 0.001, 10.0),
        ("ut_beta", 0.0, 10.0),
        ("ut_kappa", 0.0, 10.0),
        ("score_threshold_s", 0.0, 86400.0),
    )

    def __post_init__(self) -> None:
        # spec RISK-50: the observation noise covariance must be positive definite.
        determinant = self.typical_variance_db2 * self.min_variance_db2
        if self.typical_min_covariance_db2**2 >= determinant:
            raise _ERR("RISK-50: the attenuation noise covariance is not positive definite")

    @property
    def shared_log_variance(self) -> float:
        """The shared offset's variance in (ln m)^2: tau^2 / b^2, b the slope in dB per ln
        unit (RISK-53)."""
        slope = self.path_loss_exponent * _DB_PER_LN
        return self.shared_variance_db2 / (slope * slope)

    @classmethod
    def from_json(cls, value: Any) -> ProximityConfig:
        """Read the snake_case JSON form; raises InvalidConfigurationError (RISK-8)."""
        names = [name for name, _, _ in cls._NUMBERS]
        obj = read_object(
            value,
            "proximity_config",
            _ERR,
            required=(*names, "infectiousness_weights", "report_type_weights"),
        )
        numbers = {
            name: float(read_decimal(obj[name], name, _ERR, _exact(low), _exact(high)))
            for name, low, high in cls._NUMBERS
        }
        return cls(
            **numbers,
            infectiousness_weights=_weights(obj["infectiousness_weights"], INFECTIOUSNESS_NAMES),
            report_type_weights=_weights(obj["report_type_weights"], REPORT_TYPE_NAMES),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form read by ``from_json`` (numbers rounded to 6 decimals)."""
        result: dict[str, Any] = {
            name: round(getattr(self, name), 6) for name, _, _ in self._NUMBERS
        }
        result["infectiousness_weights"] = {
            INFECTIOUSNESS_NAMES[k]: v for k, v in self.infectiousness_weights.items()
        }
        result["report_type_weights"] = {
            REPORT_TYPE_NAMES[k]: v for k, v in self.report_type_weights.items()
        }
        return result


def _exact(value: float) -> Fraction:
    return Fraction(str(value))


def _weights(value: Any, names: Mapping[Any, str]) -> dict[Any, float]:
    obj = read_object(value, "weights", _ERR, required=tuple(names.values()))
    return {
        key: float(read_decimal(obj[name], name, _ERR, 0, Fraction(5, 2)))
        for key, name in names.items()
    }


@dataclass(frozen=True, slots=True)
class DistanceEstimate:
    """Distance at one scan (RISK-53): ln d ~ N(log_mean, log_variance), the smoothed
    posterior widened by the shared offset; ``median_m`` = exp(log_mean), ``low_m``/``high_m``
    one sd either side."""

    log_mean: float
    log_variance: float

    @property
    def median_m(self) -> float:
        """Posterior median distance in metres."""
        return math.exp(self.log_mean)

    @property
    def low_m(self) -> float:
        """Lower end of the central 68 % interval, metres."""
        return math.exp(self.log_mean - math.sqrt(self.log_variance))

    @property
    def high_m(self) -> float:
        """Upper end of the central 68 % interval, metres."""
        return math.exp(self.log_mean + math.sqrt(self.log_variance))


@dataclass(frozen=True, slots=True)
class ProximityDaySummary:
    """One UTC day: summed expected seconds within the kernel distance (RISK-56), and the
    probability that the day's time within it reaches the threshold (RISK-58)."""

    day: int
    score: float
    maximum_window_score: float
    probability: float

    def to_json(self) -> dict[str, Any]:
        """JSON form of the summary."""
        return {
            "day": self.day,
            "score": self.score,
            "maximum_window_score": self.maximum_window_score,
            "probability": self.probability,
        }


def _sigma_weights(config: ProximityConfig) -> tuple[float, np.ndarray, np.ndarray]:
    """Spread and mean/covariance weights of the 3 sigma points of a 1-D state (RISK-52)."""
    lam = config.ut_alpha**2 * (1.0 + config.ut_kappa) - 1.0
    spread = 1.0 + lam
    mean_w = np.array([lam / spread, 0.5 / spread, 0.5 / spread])
    cov_w = mean_w.copy()
    cov_w[0] += 1.0 - config.ut_alpha**2 + config.ut_beta
    return spread, mean_w, cov_w


def _sigma_points(mean: float, variance: float, spread: float) -> np.ndarray:
    root = math.sqrt(spread * variance)
    return np.array([mean, mean + root, mean - root])


def observe(config: ProximityConfig, log_distance: np.ndarray) -> np.ndarray:
    """Path-loss model (RISK-50): (typical, minimum) attenuation expected at ln d, floored at 0.

    typical = A1 + 10 n log10(max(d, d_min)); minimum = typical - delta.
    """
    clipped = np.maximum(log_distance, math.log(config.minimum_distance_m))
    typical = config.attenuation_at_1m_db + config.path_loss_exponent * _DB_PER_LN * clipped
    pair = np.stack([typical, typical - config.min_attenuation_offset_db], axis=-1)
    return np.maximum(pair, 0.0)


def smooth_window(config: ProximityConfig, window: ExposureWindow) -> tuple[DistanceEstimate, ...]:
    """Distance at each scan instance of the window (RISK-51..RISK-53): the smoothed
    posterior, its variance plus the shared offset's log variance."""
    scans = window.scan_instances
    if not scans:
        return ()
    spread, mean_w, cov_w = _sigma_weights(config)
    noise = np.array(
        [
            [config.typical_variance_db2, config.typical_min_covariance_db2],
            [config.typical_min_covariance_db2, config.min_variance_db2],
        ]
    )
    count = len(scans)
    filtered = np.empty((count, 2))
    predicted = np.empty((count, 2))
    mean, var = math.log(config.prior_median_m), config.prior_log_variance
    for t, scan in enumerate(scans):
        # spec RISK-51: random walk of ln d, variance growing with the seconds since last scan.
        var += config.process_variance_per_s * max(scan.seconds, PROXIMITY_MIN_SECONDS)
        predicted[t] = mean, var
        # spec RISK-52: unscented update with the scan's (typical, minimum) attenuation.
        points = _sigma_points(mean, var, spread)
        expected = observe(config, points)
        y_mean = mean_w @ expected
        dy = expected - y_mean
        dx = points - mean
        innovation = np.einsum("i,ij,ik->jk", cov_w, dy, dy) + noise
        cross = np.einsum("i,i,ij->j", cov_w, dx, dy)
        gain = np.linalg.solve(innovation, cross)
        measured = np.array([scan.typical_attenuation_db, scan.min_attenuation_db], dtype=float)
        mean += float(gain @ (measured - y_mean))
        var = max(var - float(gain @ innovation @ gain), 1e-12)
        filtered[t] = mean, var
    # spec RISK-53: unscented RTS pass. The motion model is the identity, so the cross
    # covariance of x_t and the prediction of x_t+1 is P_t and the gain is P_t / P-_t+1.
    smoothed = filtered.copy()
    for t in range(count - 2, -1, -1):
        gain_s = filtered[t, 1] / predicted[t + 1, 1]
        smoothed[t, 0] = filtered[t, 0] + gain_s * (smoothed[t + 1, 0] - predicted[t + 1, 0])
        smoothed[t, 1] = filtered[t, 1] + gain_s**2 * (smoothed[t + 1, 1] - predicted[t + 1, 1])
    # spec RISK-53: the encounter's shared offset (RISK-50) adds to every scan's variance.
    shared = config.shared_log_variance
    return tuple(DistanceEstimate(float(m), max(float(v), 1e-12) + shared) for m, v in smoothed)


def kernel_z(config: ProximityConfig, estimate: DistanceEstimate) -> float:
    """(ln d_k - log_mean) / sqrt(log_variance): the kernel's argument (RISK-54)."""
    return (math.log(config.kernel_distance_m) - estimate.log_mean) / math.sqrt(
        estimate.log_variance
    )


def _phi(z: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def expected_kernel(config: ProximityConfig, estimate: DistanceEstimate) -> float:
    """P(d <= kernel distance) under the scan's distance estimate (RISK-54):
    Phi((ln d_k - log_mean) / sqrt(log_variance))."""
    return _phi(kernel_z(config, estimate))


def _weight(config: ProximityConfig, window: ExposureWindow) -> float:
    return (
        config.infectiousness_weights[window.infectiousness]
        * config.report_type_weights[window.report_type]
    )


def _window_terms(config: ProximityConfig, window: ExposureWindow) -> list[tuple[float, float]]:
    """(kernel z, weighted seconds) of each scan instance of the window (RISK-54, RISK-55)."""
    weight = _weight(config, window)
    estimates = smooth_window(config, window)
    return [
        (kernel_z(config, estimate), scan.seconds * weight)
        for scan, estimate in zip(window.scan_instances, estimates, strict=True)
    ]


def proximity_window_score(config: ProximityConfig, window: ExposureWindow) -> float:
    """Weights x sum over scans of seconds x P(d <= d_k) (RISK-55)."""
    return math.fsum(seconds * _phi(z) for z, seconds in _window_terms(config, window))


def day_probability(config: ProximityConfig, terms: Sequence[tuple[float, float]]) -> float:
    """P(weighted seconds within d_k >= score_threshold_s) for one day's scan instances given
    as (kernel z, weighted seconds), when their distance errors are one shared error (RISK-58).

    Then the scans within d_k are those with z above one shared standard normal draw, so the
    probability is Phi(z*), z* the z at which the weighted seconds, taken in decreasing z,
    reach the threshold; 0 when they never do. Independent of the order of ``terms``.
    """
    threshold = config.score_threshold_s
    if threshold <= 0.0:
        return 1.0
    accumulated = 0.0
    for z, seconds in sorted(terms, key=lambda term: -term[0]):
        accumulated += seconds
        if accumulated >= threshold:
            return _phi(z)
    return 0.0


def score_proximity(
    config: ProximityConfig, windows: Sequence[ExposureWindow]
) -> tuple[ProximityDaySummary, ...]:
    """Per-day proximity scores, oldest day first (RISK-56, RISK-58); independent of window
    order."""
    per_day: dict[int, list[list[tuple[float, float]]]] = {}
    for window in windows:
        per_day.setdefault(window.day, []).append(_window_terms(config, window))
    summaries = []
    for day, windows_terms in sorted(per_day.items()):
        scores = [math.fsum(s * _phi(z) for z, s in terms) for terms in windows_terms]
        every = [term for terms in windows_terms for term in terms]
        summaries.append(
            ProximityDaySummary(day, math.fsum(scores), max(scores), day_probability(config, every))
        )
    return tuple(summaries)
