"""The scorers the evaluation compares, each reduced to one number per labelled encounter.

An encounter's score is the highest daily score of its windows (what a notification
threshold is compared with). Fixed scorers use published or shipped configurations; learned
scorers fit the proximity profile's path-loss model (RISK-57) on training encounters and
score other encounters with it, so nothing is scored by a fit that saw it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from bluezone.protocol.risk.cwa import CwaConfiguration, cwa_window_risk
from bluezone.protocol.risk.proximity import ProximityConfig, score_proximity
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, score_v2
from bluezone.protocol.risk.windows import ExposureWindow, ScanInstance
from bluezone.reference_node.lab.nhs_data import LabelledEncounter
from bluezone.reference_node.lab.proximity_fit import PathLossFit, PathLossSample, fit_path_loss

__all__ = [
    "CWA_CONFIG",
    "V1_CONFIG",
    "Scorer",
    "fixed_scorers",
    "learned_scores",
    "path_loss_samples",
]

Scorer = Callable[[LabelledEncounter], float]

# CWA's current configuration (cwa-server risk-calculation-parameters.yaml, as in the CWA
# Android test file): weights 0.8 / 1.0 / 0.1 by minimum attenuation, TRV 1.6 for TRL 8.
CWA_CONFIG: dict[str, Any] = {
    "minutesAtAttenuationFilters": [],
    "trlFilters": [],
    "minutesAtAttenuationWeights": [
        {"attenuationRange": {"min": 0, "max": 63, "maxExclusive": True}, "weight": Decimal("0.8")},
        {"attenuationRange": {"min": 63, "max": 73, "maxExclusive": True}, "weight": 1},
        {
            "attenuationRange": {"min": 73, "max": 79, "maxExclusive": True},
            "weight": Decimal("0.1"),
        },
    ],
    "normalizedTimePerEWToRiskLevelMapping": [
        {"normalizedTimeRange": {"min": 0, "max": 9, "maxExclusive": True}, "riskLevel": 1},
        {"normalizedTimeRange": {"min": 9, "max": 9999}, "riskLevel": 2},
    ],
    "normalizedTimePerDayToRiskLevelMapping": [
        {"normalizedTimeRange": {"min": 5, "max": 9, "maxExclusive": True}, "riskLevel": 1},
        {"normalizedTimeRange": {"min": 9, "max": 99999}, "riskLevel": 2},
    ],
    "trlEncoding": {
        "infectiousnessOffsetStandard": 1,
        "infectiousnessOffsetHigh": 2,
        "reportTypeOffsetRecursive": 0,
        "reportTypeOffsetSelfReport": 2,
        "reportTypeOffsetConfirmedClinicalDiagnosis": 4,
        "reportTypeOffsetConfirmedTest": 6,
    },
    "transmissionRiskValueMapping": [
        {"transmissionRiskLevel": level, "transmissionRiskValue": Decimal(value)}
        for level, value in (
            (1, "0"),
            (2, "0"),
            (3, "0.6"),
            (4, "0.8"),
            (5, "1"),
            (6, "1.2"),
            (7, "1.4"),
            (8, "1.6"),
        )
    ],
}

# GAEN v1: the example configuration of spec 5.6 (attenuation scores 1..8 by the RISK-21
# edges, duration scores 0..7) with flat days and transmission risk scores, so an exposure's
# score is attenuation score x duration score. No deployed v1 configuration is in our data;
# this one ranks encounters by v1's own reading of the radio and nothing else.
V1_CONFIG: dict[str, Any] = {
    "minimum_risk_score": 0,
    "attenuation_scores": [1, 2, 3, 4, 5, 6, 7, 8],
    "days_since_last_exposure_scores": [1] * 8,
    "duration_scores": [0, 1, 2, 3, 4, 5, 6, 7],
    "transmission_risk_scores": [1] * 8,
    "duration_at_attenuation_thresholds_db": [50, 70],
    "transmission_risk_level_encoding": {
        "infectiousness_offset_standard": 1,
        "infectiousness_offset_high": 2,
        "report_type_offset_recursive": 0,
        "report_type_offset_self_report": 2,
        "report_type_offset_confirmed_clinical_diagnosis": 4,
        "report_type_offset_confirmed_test": 6,
    },
}


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
    return lambda e: _max_day(float(d.score_sum) for d in score_v2(config, e.windows))


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
    enx: DailySummariesConfig, shipped: ProximityConfig | None = None
) -> dict[str, Scorer]:
    """GAEN v1 (V1_CONFIG), GAEN v2 with ``enx``, CWA (CWA_CONFIG) and, when given, the
    proximity profile with its shipped parameters."""
    scorers = {
        "gaen_v1": _v1_score(ExposureConfiguration.from_json(V1_CONFIG)),
        "gaen_v2_enx": _v2_score(enx),
        "cwa": _cwa_score(CwaConfiguration.from_json(CWA_CONFIG)),
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
    "gaen_v2_enx_recalibrated",
)


def learned_scores(
    training: Sequence[LabelledEncounter],
    testing: Sequence[LabelledEncounter],
    models: Mapping[str, str],
    base: ProximityConfig,
    enx: DailySummariesConfig,
) -> tuple[dict[str, list[float]], PathLossFit]:
    """Scores of ``testing`` by the scorers fitted on ``training`` (RISK-57), and the fit.

    ``proximity``: the day score (RISK-56) with the fit and the receiver's model offset;
    ``proximity_probability``: the day probability (RISK-58) of the same;
    ``proximity_no_model_offsets``: the day score of a fit without offsets;
    ``gaen_v2_enx_recalibrated``: ENX on attenuations shifted by the receiver's model offset
    (how much of the gain is calibration alone).
    """
    samples = path_loss_samples(training, models)
    fit = fit_path_loss(samples)
    plain = fit_path_loss(dataclasses.replace(s, receiver_model=None) for s in samples)
    enx_score = _v2_score(enx)
    scores: dict[str, list[float]] = {name: [] for name in LEARNED}
    for e in testing:
        model = e.receiver_model or models.get(e.receiver)
        score, probability = _proximity_scores(fit.config(base, model), e)
        scores["proximity"].append(score)
        scores["proximity_probability"].append(probability)
        scores["proximity_no_model_offsets"].append(_proximity_score(plain.config(base))(e))
        offset = fit.model_offsets_db.get(model, 0.0) if model else 0.0
        shifted = dataclasses.replace(e, windows=_shifted(e.windows, offset))
        scores["gaen_v2_enx_recalibrated"].append(enx_score(shifted))
    return scores, fit
