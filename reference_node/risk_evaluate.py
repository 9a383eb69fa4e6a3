"""Scorers measured against labelled encounters: ``python -m reference_node.risk_evaluate``.

Runs each scorer on the NHS experiments (labels from the seating diagrams), prints per scorer
the ROC area and the detection rate of close contacts (within 2 m) at a fixed false-alarm
rate, and the proximity profile's ROC-area margin over GAEN v2 with ENX defaults with a
cluster-bootstrap interval (experiments resampled). Everything the proximity profile learns
(path-loss fit, per-receiver-model offsets) is fitted leave-one-experiment-out: on the other
13 experiments, then applied to the held-out one. ``--plot FILE.png`` draws ROC curves and
attenuation versus distance (matplotlib).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from protocol.risk.cwa import CwaConfiguration, cwa_window_risk
from protocol.risk.evaluation import (
    bootstrap_auc_difference,
    bootstrap_interval,
    detection_rate_at_false_alarm,
    roc_auc,
    roc_curve,
)
from protocol.risk.proximity import ProximityConfig, score_proximity
from protocol.risk.proximity_fit import PathLossFit, PathLossSample, fit_path_loss
from protocol.risk.resources import enx_defaults, proximity_defaults
from protocol.risk.v2 import DailySummariesConfig, score_v2
from protocol.risk.windows import ExposureWindow, ScanInstance
from reference_node.errors import RiskDataError
from reference_node.risk_data import LabelledEncounter, load_nhs_encounters

__all__ = ["Evaluation", "ScorerResult", "evaluate", "main"]

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


@dataclass(frozen=True, slots=True)
class ScorerResult:
    """One scorer on all encounters: scores, ROC area and detection at the false-alarm rate."""

    name: str
    scores: tuple[float, ...]
    auc: float
    auc_low: float
    auc_high: float
    detection_rate: float
    false_alarm_rate: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All scorers, the labels, and the margin of the proximity profile over ENX."""

    encounters: tuple[LabelledEncounter, ...]
    results: tuple[ScorerResult, ...]
    margin: float
    margin_low: float
    margin_high: float
    fits: dict[str, PathLossFit]
    seed: int
    resamples: int


def read_device_models(directory: Path) -> dict[str, str]:
    """Device id -> "brand model" from the data set's devices.csv."""
    try:
        with (directory / "devices.csv").open(encoding="utf-8", newline="") as handle:
            return {
                row["device_id"]: f"{row['brand']} {row['model']}" for row in csv.DictReader(handle)
            }
    except (OSError, KeyError, csv.Error) as exc:
        raise RiskDataError(f"devices.csv unreadable: {type(exc).__name__}") from exc


def _max_day(values: Sequence[float]) -> float:
    return max(values, default=0.0)


def _enx_score(config: DailySummariesConfig) -> Callable[[LabelledEncounter], float]:
    return lambda e: _max_day([float(d.score_sum) for d in score_v2(config, e.windows)])


def _cwa_score(e: LabelledEncounter) -> float:
    config = CwaConfiguration.from_json(CWA_CONFIG)
    per_day: dict[int, float] = {}
    for window in e.windows:
        risk = cwa_window_risk(config, window)
        if risk is not None:
            per_day[window.day] = per_day.get(window.day, 0.0) + float(risk.normalized_time)
    return _max_day(list(per_day.values()))


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
        ExposureWindow(
            w.day,
            w.report_type,
            w.infectiousness,
            w.calibration_confidence,
            tuple(scan(s) for s in w.scan_instances),
        )
        for w in windows
    )


def _leave_one_experiment_out(
    encounters: Sequence[LabelledEncounter],
    models: dict[str, str],
    base: ProximityConfig,
    enx: DailySummariesConfig,
) -> tuple[dict[str, list[float]], dict[str, PathLossFit]]:
    """Scores of the learned scorers, each experiment scored with a fit on the others."""
    scores = {
        name: [0.0] * len(encounters)
        for name in ("proximity", "proximity_no_model_offsets", "gaen_v2_enx_recalibrated")
    }
    fits: dict[str, PathLossFit] = {}
    for held_out in sorted({e.experiment for e in encounters}):
        training = [
            PathLossSample(e.windows, e.distance_m, models.get(e.receiver))
            for e in encounters
            if e.experiment != held_out and not e.distance_is_lower_bound
        ]
        fit = fit_path_loss(training)
        plain = fit_path_loss(PathLossSample(s.windows, s.distance_m, None) for s in training)
        fits[held_out] = fit
        for i, e in enumerate(encounters):
            if e.experiment != held_out:
                continue
            model = models.get(e.receiver)
            days = score_proximity(fit.config(base, model), e.windows)
            scores["proximity"][i] = _max_day([d.score for d in days])
            days = score_proximity(plain.config(base), e.windows)
            scores["proximity_no_model_offsets"][i] = _max_day([d.score for d in days])
            offset = fit.model_offsets_db.get(model, 0.0) if model else 0.0
            scores["gaen_v2_enx_recalibrated"][i] = _enx_score(enx)(
                dataclasses.replace(e, windows=_shifted(e.windows, offset))
            )
    return scores, fits


def evaluate(
    directory: Path,
    seed: int,
    false_alarm_rate: float = 0.1,
    resamples: int = 2000,
) -> Evaluation:
    """Every scorer on every labelled encounter under ``directory`` (see the module doc)."""
    encounters = tuple(load_nhs_encounters(directory))
    models = read_device_models(directory)
    labels = [e.close_contact for e in encounters]
    clusters = [e.experiment for e in encounters]
    enx = enx_defaults().daily_summaries_config
    named: dict[str, list[float]] = {
        "gaen_v2_enx": [_enx_score(enx)(e) for e in encounters],
        "cwa": [_cwa_score(e) for e in encounters],
    }
    learned, fits = _leave_one_experiment_out(encounters, models, proximity_defaults(), enx)
    named.update(learned)
    results = []
    for offset, (name, scores) in enumerate(named.items()):
        interval = bootstrap_interval(
            lambda idx, s=scores: roc_auc([s[i] for i in idx], [labels[i] for i in idx]),
            len(labels),
            seed + offset,
            clusters,
            resamples,
        )
        point = detection_rate_at_false_alarm(scores, labels, false_alarm_rate)
        results.append(
            ScorerResult(
                name,
                tuple(scores),
                interval.estimate,
                interval.low,
                interval.high,
                point.detection_rate,
                point.false_alarm_rate,
            )
        )
    margin = bootstrap_auc_difference(
        named["proximity"], named["gaen_v2_enx"], labels, seed, clusters, resamples
    )
    return Evaluation(
        encounters, tuple(results), margin.estimate, margin.low, margin.high, fits, seed, resamples
    )


def report(evaluation: Evaluation, false_alarm_rate: float) -> str:
    """The printed table."""
    positives = sum(e.close_contact for e in evaluation.encounters)
    lines = [
        f"{len(evaluation.encounters)} encounters ({positives} within 2 m) in "
        f"{len({e.experiment for e in evaluation.encounters})} experiments; "
        f"learned scorers fitted leave-one-experiment-out; 95 % cluster-bootstrap intervals "
        f"({evaluation.resamples} resamples, seed {evaluation.seed})",
        f"{'scorer':30} {'ROC area':>9} {'95 % interval':>17} "
        f"{'detection @ FA<=' + format(false_alarm_rate, '.0%'):>20}",
    ]
    for r in evaluation.results:
        lines.append(
            f"{r.name:30} {r.auc:9.3f} {f'[{r.auc_low:.3f}, {r.auc_high:.3f}]':>17} "
            f"{r.detection_rate:14.1%} (FA {r.false_alarm_rate:.1%})"
        )
    lines.append(
        f"proximity - gaen_v2_enx ROC area: {evaluation.margin:+.3f} "
        f"[{evaluation.margin_low:+.3f}, {evaluation.margin_high:+.3f}]"
    )
    return "\n".join(lines)


def plot(evaluation: Evaluation, path: Path) -> None:
    """ROC curves and attenuation versus distance, written to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [e.close_contact for e in evaluation.encounters]
    figure, (roc_axes, scatter_axes) = plt.subplots(1, 2, figsize=(12, 5))
    for r in evaluation.results:
        points = roc_curve(r.scores, labels)
        roc_axes.plot(
            [p.false_alarm_rate for p in points],
            [p.detection_rate for p in points],
            label=f"{r.name} ({r.auc:.3f})",
        )
    roc_axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    roc_axes.set(xlabel="false-alarm rate", ylabel="detection rate (within 2 m)", title="ROC")
    roc_axes.legend(fontsize=8)
    for close, color in ((False, "tab:blue"), (True, "tab:red")):
        points = [
            (e.distance_m, s.typical_attenuation_db)
            for e in evaluation.encounters
            if e.close_contact == close and not e.distance_is_lower_bound
            for w in e.windows
            for s in w.scan_instances
        ]
        scatter_axes.scatter(*zip(*points, strict=True), s=4, alpha=0.2, color=color)
    scatter_axes.set(
        xscale="log",
        xlabel="distance (m)",
        ylabel="typical attenuation (dB)",
        title="attenuation versus distance (red: within 2 m)",
    )
    scatter_axes.set_xticks([1.5, 2, 3, 4, 6, 8], ["1.5", "2", "3", "4", "6", "8"])
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: DIRECTORY [--seed N] [--false-alarm R] [--resamples N] [--plot F] [--json]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the nhs_gaen_data folder")
    parser.add_argument("--seed", type=int, default=20201124)
    parser.add_argument("--false-alarm", type=float, default=0.1)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        evaluation = evaluate(args.directory, args.seed, args.false_alarm, args.resamples)
    except RiskDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "seed": evaluation.seed,
                    "margin": [evaluation.margin, evaluation.margin_low, evaluation.margin_high],
                    "scorers": {
                        r.name: {
                            "auc": r.auc,
                            "interval": [r.auc_low, r.auc_high],
                            "detection_rate": r.detection_rate,
                            "false_alarm_rate": r.false_alarm_rate,
                        }
                        for r in evaluation.results
                    },
                }
            )
        )
    else:
        print(report(evaluation, args.false_alarm))
    if args.plot:
        plot(evaluation, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
