"""The scorers the evaluation compares, each reduced to one number per labelled encounter.

An encounter's score is the highest daily score of its windows (what a notification
threshold is compared with). Fixed scorers use the configurations the package ships as
profiles (``spec/profiles``); learned scorers fit the proximity profile's path-loss model
(RISK-57) on training encounters and score other encounters with it, so nothing is scored by
a fit that saw it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

from bluezone.protocol.risk.cwa import CwaConfiguration, cwa_window_risk
from bluezone.protocol.risk.proximity import ProximityConfig, score_proximity
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, score_v2
from bluezone.protocol.risk.windows import ExposureWindow, ScanInstance
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


def _proximity_score(config: ProximityConfig) -> Scorer:
    return lambda e: _proximity_scores(config, e)[0]


def fixed_scorers(
    v2: Mapping[str, DailySummariesConfig],
    cwa: CwaConfiguration,
    v1: ExposureConfiguration,
    shipped: ProximityConfig | None = None,
) -> dict[str, Scorer]:
    """GAEN v1 with ``v1``, GAEN v2 with each of ``v2`` (named ``gaen_v2_`` + its key), CWA
    with ``cwa`` and, when given, the proximity profile with its shipped parameters."""
    scorers = {
        "gaen_v1": _v1_score(v1),
        **{f"gaen_v2_{name}": _v2_score(config) for name, config in v2.items()},
        "cwa": _cwa_score(cwa),
    }
    if shipped is not None:
        scorers["proximity_shipped"] = _proximity_score(shipped)
    return scorers


def path_loss_samples(
    encounters: Iterable[LabelledEncounter], models: Mapping[str, str]
) -> list[PathLossSample]:
    """Training samples of the path-loss fit, one per encounter: at the distance of each scan
    instance when the encounter knows it, else at its fixed distance; encounters whose
    distance is only a lower bound, or that hold no scan instance, are left out."""
    samples = []
    for e in encounters:
        if e.distance_is_lower_bound or not any(w.scan_instances for w in e.windows):
            continue
        model = e.receiver_model or models.get(e.receiver)
        distances = tuple(max(d, 0.01) for d in e.scan_distances_m)
        samples.append(PathLossSample(e.windows, e.distance_m, model, distances))
    return samples


def _shifted(windows: Sequence[ExposureWindow], offset_db: float) -> tuple[ExposureWindow, ...]:
    """Windows with the receiver-model offset taken off every attenuation (an ablation)."""
    shift = round(offset_db)

    def scan(s: ScanInstance) -> ScanInstance:
        return ScanInstance(
            min(max(s.typical_attenuation_db - shift, 0), 255),
            min(max(s.min_attenuation_db - shift, 0), 255),
            s.seconds_since_last_scan,
        )

    return tuple(
        dataclasses.replace(w, scan_instances=tuple(scan(s) for s in w.scan_instances))
        for w in windows
    )


LEARNED = (
    "proximity",
    "proximity_probability",
    "proximity_no_model_offsets",
    "gaen_v2_lfph_recalibrated",
)


def learned_scores(
    training: Sequence[LabelledEncounter],
    testing: Sequence[LabelledEncounter],
    models: Mapping[str, str],
    base: ProximityConfig,
    baseline: DailySummariesConfig,
) -> tuple[dict[str, list[float]], PathLossFit]:
    """Scores of ``testing`` by the scorers fitted on ``training`` (RISK-57), and the fit.

    ``proximity``: the day score (RISK-56) with the fit and the receiver's model offset;
    ``proximity_probability``: the day probability (RISK-58) of the same;
    ``proximity_no_model_offsets``: the day score of a fit without offsets;
    ``gaen_v2_lfph_recalibrated``: ``baseline`` (LFPH) on attenuations shifted by the
    receiver's model offset (how much of the gain is calibration alone).
    """
    samples = path_loss_samples(training, models)
    fit = fit_path_loss(samples)
    plain = fit_path_loss(dataclasses.replace(s, receiver_model=None) for s in samples)
    baseline_score = _v2_score(baseline)
    scores: dict[str, list[float]] = {name: [] for name in LEARNED}
    for e in testing:
        model = e.receiver_model or models.get(e.receiver)
        score, probability = _proximity_scores(fit.config(base, model), e)
        scores["proximity"].append(score)
        scores["proximity_probability"].append(probability)
        scores["proximity_no_model_offsets"].append(_proximity_score(plain.config(base))(e))
        offset = fit.model_offsets_db.get(model, 0.0) if model else 0.0
        shifted = dataclasses.replace(e, windows=_shifted(e.windows, offset))
        scores["gaen_v2_lfph_recalibrated"].append(baseline_score(shifted))
    return scores, fit
