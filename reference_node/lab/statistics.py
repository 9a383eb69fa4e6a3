"""Measuring scorers against labelled encounters: ROC area, detection at a fixed false-alarm
rate, and bootstrap confidence intervals (not normative; used by ``bluezone risk evaluate``).

Pure: scores and labels come in as sequences; the bootstrap's randomness comes from the
``seed`` argument (numpy's PCG64), so every result is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bluezone.protocol.risk.errors import InvalidGroundTruthError

__all__ = [
    "BootstrapInterval",
    "RocPoint",
    "bootstrap_auc_difference",
    "bootstrap_interval",
    "detection_rate_at_false_alarm",
    "roc_auc",
    "roc_curve",
]


@dataclass(frozen=True, slots=True)
class RocPoint:
    """One operating point: the threshold (score >= threshold is an alarm) and its rates."""

    threshold: float
    false_alarm_rate: float
    detection_rate: float


@dataclass(frozen=True, slots=True)
class BootstrapInterval:
    """A statistic on the full data and its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float
    resamples: int


def _arrays(scores: Sequence[float], labels: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if s.ndim != 1 or s.shape != y.shape:
        raise InvalidGroundTruthError("scores and labels must be two sequences of one length")
    if not np.all(np.isfinite(s)):
        raise InvalidGroundTruthError("scores must be finite")
    if y.all() or not y.any():
        raise InvalidGroundTruthError("labels need at least one positive and one negative")
    return s, y


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties half."""
    s, y = _arrays(scores, labels)
    ranks = _ranks(s)
    positives = int(y.sum())
    negatives = len(y) - positives
    return float((ranks[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def _curve(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds, false-alarm and detection rates of the operating points, no-alarm first."""
    order = np.argsort(-s, kind="mergesort")
    ranked, hits = s[order], y[order]
    # The last item of each run of equal scores: alarms up to it are those with score >= it.
    last = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    detections = np.cumsum(hits)[last] / hits.sum()
    false_alarms = np.cumsum(~hits)[last] / (~hits).sum()
    return (
        np.append(math.inf, ranked[last]),
        np.append(0.0, false_alarms),
        np.append(0.0, detections),
    )


def roc_curve(scores: Sequence[float], labels: Sequence[bool]) -> list[RocPoint]:
    """Operating points for every distinct threshold, from no alarm to all alarms."""
    thresholds, false_alarms, detections = _curve(*_arrays(scores, labels))
    return [
        RocPoint(float(t), float(f), float(d))
        for t, f, d in zip(thresholds, false_alarms, detections, strict=True)
    ]


def detection_rate_at_false_alarm(
    scores: Sequence[float], labels: Sequence[bool], false_alarm_rate: float
) -> RocPoint:
    """The operating point with the highest detection rate whose false-alarm rate is at most
    ``false_alarm_rate`` (0..1); thresholds are the scores themselves, so no interpolation."""
    if not 0.0 <= false_alarm_rate <= 1.0:
        raise InvalidGroundTruthError("false_alarm_rate must be in 0..1")
    thresholds, false_alarms, detections = _curve(*_arrays(scores, labels))
    allowed = false_alarms <= false_alarm_rate
    best = detections[allowed].max()
    # False-alarm rates grow along the curve: the first point reaching ``best`` has the least.
    index = int(np.flatnonzero(allowed & (detections == best))[0])
    return RocPoint(float(thresholds[index]), float(false_alarms[index]), float(detections[index]))


def _resample_indices(
    rng: np.random.Generator, names: np.ndarray, members: dict[str, np.ndarray]
) -> np.ndarray:
    """Indices of one bootstrap sample: whole clusters drawn with replacement."""
    chosen = rng.choice(names, size=len(names), replace=True)
    return np.concatenate([members[name] for name in chosen])


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    size: int,
    seed: int,
    clusters: Sequence[object] | None = None,
    resamples: int = 2000,
    level: float = 0.95,
) -> BootstrapInterval:
    """Percentile interval of ``statistic(indices)`` over bootstrap samples of 0..size-1.

    With ``clusters`` (one label per item), whole clusters are resampled (a cluster
    bootstrap: items of one experiment are not independent). Samples on which the statistic
    is undefined (it raises InvalidGroundTruthError, e.g. no positive drawn) are redrawn.
    """
    if size < 1 or resamples < 1 or not 0.0 < level < 1.0:
        raise InvalidGroundTruthError("size and resamples must be >= 1, level in (0, 1)")
    groups = np.asarray(clusters if clusters is not None else np.arange(size), dtype=object)
    if groups.shape != (size,):
        raise InvalidGroundTruthError("clusters must hold one label per item")
    groups = np.asarray([str(g) for g in groups])
    names = np.unique(groups)
    members = {str(name): np.flatnonzero(groups == name) for name in names}
    rng = np.random.default_rng(seed)
    estimate = statistic(np.arange(size))
    values: list[float] = []
    attempts = 0
    while len(values) < resamples:
        attempts += 1
        if attempts > 20 * resamples:
            raise InvalidGroundTruthError("the statistic is undefined on most resamples")
        try:
            values.append(statistic(_resample_indices(rng, names, members)))
        except InvalidGroundTruthError:
            continue
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(np.asarray(values), [tail, 1.0 - tail])
    return BootstrapInterval(float(estimate), float(low), float(high), level, resamples)


def bootstrap_auc_difference(
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    labels: Sequence[bool],
    seed: int,
    clusters: Sequence[object] | None = None,
    resamples: int = 2000,
    level: float = 0.95,
) -> BootstrapInterval:
    """AUC(a) - AUC(b) on the same items, with a paired (cluster) bootstrap interval."""
    a, y = _arrays(scores_a, labels)
    b, _ = _arrays(scores_b, labels)

    def difference(indices: np.ndarray) -> float:
        return roc_auc(a[indices], y[indices]) - roc_auc(b[indices], y[indices])

    return bootstrap_interval(difference, len(y), seed, clusters, resamples, level)
