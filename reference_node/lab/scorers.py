"""The scorers the evaluation compares, each reduced to one number per labelled encounter.

An encounter's score is the highest daily score of its windows (what a notification
threshold is compared with). Fixed scorers use the configurations the package ships as
profiles (``spec/profiles``); learned scorers fit the proximity profile's path-loss model
(RISK-57) on training encounters and score other encounters with it, so nothing is scored by
a fit that saw it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from bluezone.protocol.risk.cwa import CwaConfiguration, cwa_window_risk
from bluezone.protocol.risk.proximity import ProximityConfig, score_proximity
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, score_v2
from bluezone.protocol.risk.windows import ExposureWindow
from bluezone.reference_node.lab.nhs_data import LabelledEncounter
from bluezone.reference_node.lab.proximity_fit import PathLossFit, PathLossSample, fit_path_loss

__all__ = [
    "Scorer",
    "fixed_scorers",
    "learned_scores",
    "path_loss_samples",
]

Scorer = Callable[[LabelledEncounter], float]


def _max_day(values: Iterable[float]) -> float:
    return max(values, default=0.0)


def _days(windows: Sequence[ExposureWindow]) -> dict[int, list[ExposureWindow]]:
    per_day: dict[int, list[ExposureWindow]] = {}
    for window in windows:
        per_day.setdefault(window.day, []).append(window)
    return per_day


def _v1_score(config: ExposureConfiguration) -> Scorer:
    def score(e: LabelledEncounter) -> float:
        days = _days(e.windows)
        return _max_day(
            float(score_v1(config, ws, day).summation_risk_score) for day, ws in days.items()
        )

    return score


def _v2_score(config: DailySummariesConfig) -> Scorer:
    """Highest daily score_sum; "today" is the encounter's last day (a profile may limit days
    since exposure, RISK-14)."""

    def score(e: LabelledEncounter) -> float:
        if not e.windows:
            return 0.0
        today = max(w.day for w in e.windows)
        return _max_day(float(d.score_sum) for d in score_v2(config, e.windows, today))

    return score


def _cwa_score(config: CwaConfiguration) -> Scorer:
    def score(e: LabelledEncounter) -> float:
        per_day: dict[int, float] = {}
        for window in e.windows:
            risk = cwa_window_risk(config, window)
            if risk is not None:
                per_day[window.day] = per_day.get(window.day, 0.0) + float(risk.normalized_time)
        return _max_day(per_day.values())

    return score


def _proximity_scores(config: ProximityConfig, e: LabelledEncounter) -> tuple[float, float]:
    """Highest day score (expected seconds within d_k, RISK-56) and highest day probability
    of reaching the threshold (RISK-58)."""
    days = score_proximity(config, e.windows)
    return _max_day(d.score for d in days), _max_day(d.probability for d in days)


def _proximity_score(config: ProximityConfig, probability: bool = False) -> Scorer:
    return lambda e: _proximity_scores(config, e)[1 if probability else 0]


def fixed_scorers(
    v2: Mapping[str, DailySummariesConfig],
    cwa: CwaConfiguration,
    v1: ExposureConfiguration,
    shipped: ProximityConfig | None = None,
) -> dict[str, Scorer]:
    """GAEN v1 with ``v1``, GAEN v2 with each of ``v2`` (named ``gaen_v2_`` + its key), CWA
    with ``cwa`` and, when given, the proximity profile with its shipped parameters (day
    score and day probability)."""
    scorers = {
        "gaen_v1": _v1_score(v1),
        **{f"gaen_v2_{name}": _v2_score(config) for name, config in v2.items()},
        "cwa": _cwa_score(cwa),
    }
    if shipped is not None:
        scorers["proximity_shipped"] = _proximity_score(shipped)
        scorers["proximity_shipped_probability"] = _proximity_score(shipped, probability=True)
    return scorers


def path_loss_samples(encounters: Iterable[LabelledEncounter]) -> list[PathLossSample]:
    """Training samples of the path-loss fit, one per encounter and without the receiver's
    model (spec 5.8.1): at the distance of each scan instance when the encounter knows it,
    else at its fixed distance; encounters whose distance is only a lower bound, or that hold
    no scan instance, are left out."""
    samples = []
    for e in encounters:
        if e.distance_is_lower_bound or not any(w.scan_instances for w in e.windows):
            continue
        distances = tuple(max(d, 0.01) for d in e.scan_distances_m)
        samples.append(PathLossSample(e.windows, e.distance_m, None, distances))
    return samples


LEARNED = ("proximity", "proximity_probability")


def learned_scores(
    training: Sequence[LabelledEncounter],
    testing: Sequence[LabelledEncounter],
    base: ProximityConfig,
) -> tuple[dict[str, list[float]], PathLossFit]:
    """Scores of ``testing`` by the proximity profile fitted on ``training``, and the fit.

    The fit is the pre-registered one (spec 5.8.1): RISK-57's shared regression and variance
    components, no receiver-model offsets. ``proximity_probability``: the day probability
    (RISK-58), the pre-registered score; ``proximity``: the day score (RISK-56).
    """
    fit = fit_path_loss(path_loss_samples(training))
    config = fit.config(base)
    scores: dict[str, list[float]] = {name: [] for name in LEARNED}
    for e in testing:
        score, probability = _proximity_scores(config, e)
        scores["proximity"].append(score)
        scores["proximity_probability"].append(probability)
    return scores, fit
