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

from protocol.risk.errors import InvalidGroundTruthError

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
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values))
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties half."""
    s, y = _arrays(scores, labels)
    ranks = _ranks(s)
    positives = int(y.sum())
    negatives = len(y) - positives
    return float((ranks[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def roc_curve(scores: Sequence[float], labels: Sequence[bool]) -> list[RocPoint]:
    """Operating points for every distinct threshold, from no alarm to all alarms."""
    s, y = _arrays(scores, labels)
    positives = int(y.sum())
    negatives = len(y) - positives
    points = [RocPoint(math.inf, 0.0, 0.0)]
    for threshold in np.unique(s)[::-1]:
        alarm = s >= threshold
        points.append(
            RocPoint(
                float(threshold),
                float((alarm & ~y).sum() / negatives),
                float((alarm & y).sum() / positives),
            )
        )
    return points


def detection_rate_at_false_alarm(
    scores: Sequence[float], labels: Sequence[bool], false_alarm_rate: float
) -> RocPoint:
    """The operating point with the highest detection rate whose false-alarm rate is at most
    ``false_alarm_rate`` (0..1); thresholds are the scores themselves, so no interpolation."""
    if not 0.0 <= false_alarm_rate <= 1.0:
        raise InvalidGroundTruthError("false_alarm_rate must be in 0..1")
    allowed = [p for p in roc_curve(scores, labels) if p.false_alarm_rate <= false_alarm_rate]
    return max(allowed, key=lambda p: (p.detection_rate, -p.false_alarm_rate))


def _resample_indices(rng: np.random.Generator, clusters: np.ndarray) -> np.ndarray:
    """Indices of one bootstrap sample: whole clusters drawn with replacement."""
    names = np.unique(clusters)
    chosen = rng.choice(names, size=len(names), replace=True)
    return np.concatenate([np.flatnonzero(clusters == name) for name in chosen])


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
    rng = np.random.default_rng(seed)
    estimate = statistic(np.arange(size))
    values: list[float] = []
    attempts = 0
    while len(values) < resamples:
        attempts += 1
        if attempts > 20 * resamples:
            raise InvalidGroundTruthError("the statistic is undefined on most resamples")
        try:
            values.append(statistic(_resample_indices(rng, groups)))
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
