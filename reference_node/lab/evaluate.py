"""Scorers measured against labelled encounters (``bluezone risk evaluate``).

Two sources of labelled encounters:

- the simulator (`bluezone.reference_node.lab.sim`, the default): the learned scorers are fitted on
  scenes drawn with the training seed and every scorer is measured on scenes drawn with
  another, the test seed; each seed draws its own phone models and calibration residuals,
  and ``--world`` tests in propagation the proximity profile does not assume;
- the NHS experiments (``--data DIR``, the ``nhs_gaen_data`` folder; labels from the seating
  diagrams): the learned scorers are fitted leave-one-experiment-out, on the other 13
  experiments, then applied to the held-out one.

The learned scorer is the proximity profile fitted as spec 5.8.1 pre-registers (no
receiver-model offsets); ``--write-profile FILE`` writes the simulator fit as a profile.

Per scorer it prints the ROC area and the detection rate of close contacts at a fixed
false-alarm rate, each with a 95 % cluster-bootstrap interval (scenes or experiments
resampled), and the proximity profile's margins over both GAEN v2 profiles (Google's ENX
defaults and LFPH's narrower net): its day probability (the pre-registered score) and its
day score, in ROC area and in detection rate, with paired intervals. ``--plot FILE.png`` draws ROC
curves and attenuation versus distance.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bluezone.protocol.risk.proximity import ProximityConfig
from bluezone.reference_node.errors import NodeError, RiskDataError
from bluezone.reference_node.lab.nhs_data import LabelledEncounter, load_nhs_encounters
from bluezone.reference_node.lab.proximity_fit import PathLossFit
from bluezone.reference_node.lab.scorers import LEARNED, Scorer, fixed_scorers, learned_scores
from bluezone.reference_node.lab.sim import SimulationConfig, simulate_seed
from bluezone.reference_node.lab.sim.link import WORLDS
from bluezone.reference_node.lab.statistics import (
    bootstrap_auc_difference,
    bootstrap_interval,
    detection_rate_at_false_alarm,
    roc_auc,
)
from bluezone.reference_node.risk_profiles import (
    calibration_table,
    cwa_configuration,
    profile_json,
    proximity_profile,
    v1_configuration,
    v2_profile,
)

__all__ = [
    "Evaluation",
    "Margin",
    "ScorerResult",
    "add_arguments",
    "evaluate_nhs",
    "evaluate_simulation",
    "main",
    "run",
]

# The GAEN v2 baselines, named by their source (RISK-15): Google's ENX defaults and LFPH's
# "narrower net 1.0" (short name, profile).
V2_BASELINES = (("enx", "enx"), ("lfph", "lfph-narrower-net-1.0"))
# The margins of the proximity profile over each baseline (spec 5.8.1): its day probability
# (RISK-58, the pre-registered score) and its day score (RISK-56).
CANDIDATES = ("proximity_probability", "proximity")
BASELINES = ("gaen_v2_enx", "gaen_v2_lfph")
METRICS = ("ROC area", "detection")

# progress(what, done, total): the step that starts, the steps done and all of them.
Progress = Callable[[str, int, int], None]


def _quiet(what: str, done: int, total: int) -> None:
    """Report no progress."""


DEFAULT_SEED = 20201124
DEFAULT_TRAIN_SEED = 1
DEFAULT_TEST_SEED = 2
DEFAULT_SCENES = 40


@dataclass(frozen=True, slots=True)
class ScorerResult:
    """One scorer on the test encounters: ROC area and detection, with their intervals."""

    name: str
    scores: tuple[float, ...]
    auc: float
    auc_low: float
    auc_high: float
    detection_rate: float
    detection_low: float
    detection_high: float
    false_alarm_rate: float


@dataclass(frozen=True, slots=True)
class Margin:
    """``metric`` (ROC area, or detection at the false-alarm rate) of ``scorer`` minus that of
    ``baseline``, with its paired 95 % interval."""

    metric: str
    scorer: str
    baseline: str
    estimate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All scorers on one data set, the proximity profile's margins over both v2 profiles and
    the fits."""

    data_set: str
    label: str
    validation: str
    encounters: tuple[LabelledEncounter, ...]
    results: tuple[ScorerResult, ...]
    margins: tuple[Margin, ...]
    fits: dict[str, PathLossFit]
    seed: int
    resamples: int
    false_alarm_rate: float

    def result(self, name: str) -> ScorerResult:
        """The result of the scorer called ``name``."""
        return next(r for r in self.results if r.name == name)


def _fixed(shipped: ProximityConfig) -> dict[str, Scorer]:
    """The fixed scorers with the shipped profiles (spec/profiles); the v2 baselines named by
    their short names: Google's ENX defaults and LFPH's narrower net (RISK-15)."""
    v2 = {name: v2_profile(profile).daily_summaries_config for name, profile in V2_BASELINES}
    return fixed_scorers(v2, cwa_configuration(), v1_configuration("gaen-v1-flat"), shipped)


def evaluate_nhs(
    directory: Path,
    seed: int = DEFAULT_SEED,
    false_alarm_rate: float = 0.1,
    resamples: int = 2000,
    progress: Progress = _quiet,
) -> Evaluation:
    """Every scorer on the NHS experiments under ``directory``, learned ones fitted
    leave-one-experiment-out. Raises RiskDataError when the data cannot be read;
    ``progress`` hears of each step."""
    if not Path(directory).is_dir():
        raise RiskDataError(f"{directory} is not a directory (pass the nhs_gaen_data folder)")
    if not (Path(directory) / "devices.csv").is_file():
        raise RiskDataError(
            f"{directory} holds no devices.csv: pass the nhs_gaen_data folder (docs/risk.md)"
        )
    progress("reading the experiments", 0, 1)
    encounters = tuple(load_nhs_encounters(directory))
    shipped = proximity_profile()
    named = {name: [f(e) for e in encounters] for name, f in _fixed(shipped).items()}
    learned: dict[str, list[float]] = {name: [0.0] * len(encounters) for name in LEARNED}
    fits: dict[str, PathLossFit] = {}
    held_outs = sorted({e.experiment for e in encounters})
    total = 1 + len(held_outs) + _measure_steps(len(named) + len(LEARNED))
    for done, held_out in enumerate(held_outs, start=1):
        progress(f"fitting without experiment {held_out}", done, total)
        indices = [i for i, e in enumerate(encounters) if e.experiment == held_out]
        training = [e for e in encounters if e.experiment != held_out]
        scores, fits[held_out] = learned_scores(training, [encounters[i] for i in indices], shipped)
        for name, values in scores.items():
            for i, value in zip(indices, values, strict=True):
                learned[name][i] = value
    named.update(learned)
    experiments = len({e.experiment for e in encounters})
    return _measure(
        f"NHS experiments ({experiments} experiments, labels from the seating diagrams)",
        "seats within 2 m (each pair shared its experiment throughout)",
        f"learned scorers fitted leave-one-experiment-out (on {experiments - 1}, "
        "scored on the held-out one)",
        encounters,
        named,
        fits,
        seed,
        false_alarm_rate,
        resamples,
        lambda what, done: progress(what, 1 + len(held_outs) + done, total),
    )


def evaluate_simulation(
    seed: int = DEFAULT_SEED,
    false_alarm_rate: float = 0.1,
    resamples: int = 2000,
    scenes: int = DEFAULT_SCENES,
    train_seed: int = DEFAULT_TRAIN_SEED,
    test_seed: int = DEFAULT_TEST_SEED,
    world: str = "default",
    progress: Progress = _quiet,
) -> Evaluation:
    """Every scorer on simulated scenes of ``test_seed`` in ``world``, learned ones fitted on
    scenes of ``train_seed`` in the default world; each seed draws its own phones.
    ``progress`` hears of each step."""
    if train_seed == test_seed:
        raise RiskDataError("the training and test seeds must differ (held-out evaluation)")
    if world not in WORLDS:
        raise RiskDataError(f"unknown world {world!r} (one of {', '.join(WORLDS)})")
    table = calibration_table()
    config = SimulationConfig(scenes=scenes)
    shipped = proximity_profile()
    fixed = _fixed(shipped)
    total = 4 + _measure_steps(len(fixed) + len(LEARNED))
    progress(f"simulating {scenes} training scenes", 0, total)
    training = simulate_seed(table, config, train_seed, "train")
    progress(f"simulating {scenes} test scenes", 1, total)
    testing = tuple(simulate_seed(table, replace(config, world=world), test_seed, "test"))
    progress("scoring the test scenes", 2, total)
    named = {name: [f(e) for e in testing] for name, f in fixed.items()}
    progress("fitting the learned scorers", 3, total)
    learned, fit = learned_scores(training, testing, shipped)
    named.update(learned)
    return _measure(
        f"simulator ({scenes} test scenes of seed {test_seed}, world {world}; each seed "
        "draws its own phones)",
        "within 2 m for 15 minutes or more (true positions)",
        f"learned scorers fitted on {scenes} scenes of seed {train_seed}, tested on the "
        f"scenes of seed {test_seed}",
        testing,
        named,
        {f"train-seed-{train_seed}": fit},
        seed,
        false_alarm_rate,
        resamples,
        lambda what, done: progress(what, 4 + done, total),
    )


def _measure_steps(scorers: int) -> int:
    """The steps ``_measure`` reports for ``scorers`` scorers: one bootstrap each, and margins."""
    return scorers + len(BASELINES) * len(METRICS) * len(CANDIDATES)


def _measure(
    data_set: str,
    label: str,
    validation: str,
    encounters: Sequence[LabelledEncounter],
    named: Mapping[str, Sequence[float]],
    fits: dict[str, PathLossFit],
    seed: int,
    false_alarm_rate: float,
    resamples: int,
    progress: Callable[[str, int], None],
) -> Evaluation:
    """ROC areas, detection rates and the margin, with cluster-bootstrap intervals."""
    labels = np.array([e.close_contact for e in encounters])
    clusters = [e.experiment for e in encounters]
    if not labels.any() or labels.all():
        raise RiskDataError("the encounters need both close contacts and others")
    results = []
    for offset, (name, values) in enumerate(named.items()):
        progress(f"bootstrap of {name} ({resamples} resamples)", offset)
        scores = np.asarray(values, dtype=float)

        def auc(idx: np.ndarray, s: np.ndarray = scores) -> float:
            return roc_auc(s[idx], labels[idx])

        def detection(idx: np.ndarray, s: np.ndarray = scores) -> float:
            return detection_rate_at_false_alarm(
                s[idx], labels[idx], false_alarm_rate
            ).detection_rate

        area = bootstrap_interval(auc, len(labels), seed + offset, clusters, resamples)
        rate = bootstrap_interval(detection, len(labels), seed + offset, clusters, resamples)
        point = detection_rate_at_false_alarm(scores, labels, false_alarm_rate)
        results.append(
            ScorerResult(
                name,
                tuple(float(v) for v in values),
                area.estimate,
                area.low,
                area.high,
                point.detection_rate,
                rate.low,
                rate.high,
                point.false_alarm_rate,
            )
        )
    margins = []
    triples = [(b, m, c) for b in BASELINES for m in METRICS for c in CANDIDATES]
    for done, (baseline, metric, candidate) in enumerate(triples, start=len(named)):
        progress(f"bootstrap of the {metric} margin of {candidate} over {baseline}", done)
        margins.append(
            _margin(
                metric,
                candidate,
                baseline,
                named,
                labels,
                clusters,
                seed,
                false_alarm_rate,
                resamples,
            )
        )
    return Evaluation(
        data_set,
        label,
        validation,
        tuple(encounters),
        tuple(results),
        tuple(margins),
        fits,
        seed,
        resamples,
        false_alarm_rate,
    )


def _margin(
    metric: str,
    candidate: str,
    baseline: str,
    named: Mapping[str, Sequence[float]],
    labels: np.ndarray,
    clusters: Sequence[str],
    seed: int,
    false_alarm_rate: float,
    resamples: int,
) -> Margin:
    """``metric`` of ``candidate`` minus that of ``baseline``, paired cluster bootstrap."""
    if metric == "ROC area":
        interval = bootstrap_auc_difference(
            named[candidate], named[baseline], list(labels), seed, clusters, resamples
        )
        return Margin(metric, candidate, baseline, interval.estimate, interval.low, interval.high)
    a = np.asarray(named[candidate], dtype=float)
    b = np.asarray(named[baseline], dtype=float)

    def difference(idx: np.ndarray) -> float:
        return (
            detection_rate_at_false_alarm(a[idx], labels[idx], false_alarm_rate).detection_rate
            - detection_rate_at_false_alarm(b[idx], labels[idx], false_alarm_rate).detection_rate
        )

    interval = bootstrap_interval(difference, len(labels), seed, clusters, resamples)
    return Margin(metric, candidate, baseline, interval.estimate, interval.low, interval.high)


# The fitted parameters a profile takes, with the decimals spec 5.8.1 keeps.
FITTED_DECIMALS = {
    "attenuation_at_1m_db": 2,
    "path_loss_exponent": 3,
    "min_attenuation_offset_db": 2,
    "typical_variance_db2": 2,
    "min_variance_db2": 2,
    "typical_min_covariance_db2": 2,
    "shared_variance_db2": 2,
}


def write_profile(fit: PathLossFit, path: Path) -> None:
    """The shipped proximity profile with ``fit``'s parameters, as JSON at ``path``
    (spec 5.8.1: the other parameters are set, not fitted). Raises RiskDataError."""
    document = json.loads(json.dumps(profile_json("proximity"), default=float))
    for name, decimals in FITTED_DECIMALS.items():
        document[name] = round(float(getattr(fit, name)), decimals)
    ProximityConfig.from_json(document)  # the rounded fit must still be a valid profile
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RiskDataError(f"cannot write {path}: {type(exc).__name__}") from exc


def report(evaluation: Evaluation) -> str:
    """The printed table."""
    encounters = evaluation.encounters
    positives = sum(e.close_contact for e in encounters)
    clusters = len({e.experiment for e in encounters})
    rate = format(evaluation.false_alarm_rate, ".0%")
    lines = [
        f"data: {evaluation.data_set}",
        f"{len(encounters)} encounters in {clusters} scenes or experiments; {positives} close "
        f"contacts: {evaluation.label}",
        f"validation: {evaluation.validation}",
        f"intervals: 95 % cluster bootstrap over scenes or experiments "
        f"({evaluation.resamples} resamples, seed {evaluation.seed})",
        "",
        f"{'scorer':30} {'ROC area':>8} {'95 % interval':>16}   "
        f"{'detection at false alarms <= ' + rate:>32}",
    ]
    for r in evaluation.results:
        lines.append(
            f"{r.name:30} {r.auc:8.3f} {f'[{r.auc_low:.3f}, {r.auc_high:.3f}]':>16}   "
            f"{r.detection_rate:8.1%} [{r.detection_low:.1%}, {r.detection_high:.1%}] "
            f"(FA {r.false_alarm_rate:.1%})"
        )
    lines.append("")
    for m in evaluation.margins:
        unit = "" if m.metric == "ROC area" else f" at false alarms <= {rate}"
        lines.append(
            f"margin {m.scorer} - {m.baseline} ({m.metric}{unit}): {m.estimate:+.3f} "
            f"[{m.low:+.3f}, {m.high:+.3f}]"
        )
    return "\n".join(lines)


def to_json(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as one JSON object (what ``--json`` prints)."""
    return {
        "data_set": evaluation.data_set,
        "close_contact": evaluation.label,
        "validation": evaluation.validation,
        "encounters": len(evaluation.encounters),
        "close_contacts": sum(e.close_contact for e in evaluation.encounters),
        "clusters": len({e.experiment for e in evaluation.encounters}),
        "seed": evaluation.seed,
        "resamples": evaluation.resamples,
        "false_alarm_rate": evaluation.false_alarm_rate,
        "scorers": {
            r.name: {
                "auc": r.auc,
                "auc_interval": [r.auc_low, r.auc_high],
                "detection_rate": r.detection_rate,
                "detection_interval": [r.detection_low, r.detection_high],
                "false_alarm_rate": r.false_alarm_rate,
            }
            for r in evaluation.results
        },
        "margins": [
            {
                "metric": "auc" if m.metric == "ROC area" else "detection_rate",
                "scorer": m.scorer,
                "baseline": m.baseline,
                "difference": m.estimate,
                "interval": [m.low, m.high],
            }
            for m in evaluation.margins
        ],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone risk evaluate`` to ``parser``."""
    from bluezone.reference_node.cli import options

    parser.add_argument(
        "--data",
        type=options.existing_dir,
        metavar="DIR",
        help="the NHS nhs_gaen_data folder (default: the simulator's ground truth)",
    )
    parser.add_argument(
        "--plot", type=options.new_file, metavar="FILE.png", help="draw ROC and attenuation"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--false-alarm", type=options.fraction, default=0.1, help="false-alarm rate"
    )
    parser.add_argument(
        "--resamples", type=options.positive_int, default=2000, help="bootstrap resamples"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    parser.add_argument(
        "--scenes", type=options.positive_int, default=DEFAULT_SCENES, help="scenes per seed"
    )
    parser.add_argument(
        "--train-seed", type=int, default=DEFAULT_TRAIN_SEED, help="seed of the training scenes"
    )
    parser.add_argument(
        "--test-seed", type=int, default=DEFAULT_TEST_SEED, help="seed of the test scenes"
    )
    parser.add_argument(
        "--world",
        choices=WORLDS,
        default="default",
        help="simulated propagation of the test scenes (spec 5.8.1; default: default)",
    )
    parser.add_argument(
        "--write-profile",
        type=Path,
        metavar="FILE.json",
        help="write the proximity profile fitted on the training seed (simulator only)",
    )


def _check_writable(path: Path) -> None:
    """Raise RiskDataError now if ``path`` cannot be written (the run takes a while)."""
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise RiskDataError(f"cannot write the plot to {path}: {exc.strerror}") from exc
    if not existed:
        path.unlink()


def run(args: argparse.Namespace) -> int:
    """Evaluate as ``args`` say, print the result, draw the plot; return the exit status."""
    from bluezone.reference_node.cli import progress
    from bluezone.reference_node.lab import plot as risk_plot

    show = progress.wanted(args.json)
    try:
        if args.plot is not None:
            risk_plot.load_pyplot()  # fail before the work, not after it
            _check_writable(args.plot)
        if not 0.0 <= args.false_alarm <= 1.0 or args.resamples < 1 or args.scenes < 1:
            raise RiskDataError("need 0 <= --false-alarm <= 1, --resamples >= 1, --scenes >= 1")
        if args.data is not None and args.write_profile is not None:
            raise RiskDataError("--write-profile writes the simulator's fit (spec 5.8.1)")
        with progress.steps(1, "risk evaluate", show) as bar:
            tell = progress.as_steps(bar)
            if args.data is not None:
                evaluation = evaluate_nhs(
                    args.data, args.seed, args.false_alarm, args.resamples, tell
                )
            else:
                evaluation = evaluate_simulation(
                    args.seed,
                    args.false_alarm,
                    args.resamples,
                    args.scenes,
                    args.train_seed,
                    args.test_seed,
                    args.world,
                    tell,
                )
        print(json.dumps(to_json(evaluation)) if args.json else report(evaluation))
        if args.write_profile is not None:
            (fit,) = evaluation.fits.values()
            write_profile(fit, args.write_profile)
        if args.plot is not None:
            risk_plot.plot(evaluation, args.plot)
    except NodeError as exc:
        print(f"bluezone risk evaluate: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bluezone.reference_node.lab.evaluate [--data DIR] [--plot FILE.png] ...``."""
    from bluezone.reference_node.cli.options import Parser

    parser = Parser(
        prog="python -m bluezone.reference_node.lab.evaluate", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    parser.add_argument("directory", nargs="?", type=Path, help="same as --data DIR")
    args = parser.parse_args(argv)
    if args.directory is not None:
        if args.data is not None:
            parser.error("give the data directory once: DIR or --data DIR")
        args.data = args.directory
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
