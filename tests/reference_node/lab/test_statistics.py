"""ROC area, detection at a false-alarm rate, bootstrap intervals (evaluation module)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.risk.errors import InvalidGroundTruthError
from bluezone.reference_node.lab.statistics import (
    bootstrap_auc_difference,
    bootstrap_interval,
    detection_rate_at_false_alarm,
    roc_auc,
    roc_curve,
)


def test_auc_of_simple_cases() -> None:
    assert roc_auc([3, 4, 1, 2], [True, True, False, False]) == 1.0
    assert roc_auc([1, 2, 3, 4], [True, True, False, False]) == 0.0
    assert roc_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    # positives 0.8, 0.4; negatives 0.5, 0.1: pairs won 3 of 4.
    assert roc_auc([0.8, 0.4, 0.5, 0.1], [True, True, False, False]) == 0.75


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=30).filter(
        lambda items: 0 < sum(label for _, label in items) < len(items)
    )
)
def test_auc_is_the_pairwise_win_rate(items: list[tuple[int, bool]]) -> None:
    scores = [s for s, _ in items]
    labels = [label for _, label in items]
    pos = [s for s, label in items if label]
    neg = [s for s, label in items if not label]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert roc_auc(scores, labels) == pytest.approx(wins / (len(pos) * len(neg)))


def test_roc_curve_and_detection_at_false_alarm() -> None:
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    labels = [True, True, False, True, False, True, False, False, False, False]
    points = roc_curve(scores, labels)
    assert (points[0].false_alarm_rate, points[-1].detection_rate) == (0.0, 1.0)
    at_zero = detection_rate_at_false_alarm(scores, labels, 0.0)
    assert (at_zero.detection_rate, at_zero.threshold) == (0.5, 0.8)
    at_a_third = detection_rate_at_false_alarm(scores, labels, 1 / 3)
    assert (at_a_third.detection_rate, at_a_third.false_alarm_rate) == (1.0, 1 / 3)


def test_invalid_inputs() -> None:
    with pytest.raises(InvalidGroundTruthError):
        roc_auc([1, 2], [True, True])
    with pytest.raises(InvalidGroundTruthError):
        roc_auc([1, float("nan")], [True, False])
    with pytest.raises(InvalidGroundTruthError):
        roc_auc([1, 2, 3], [True, False])
    with pytest.raises(InvalidGroundTruthError):
        detection_rate_at_false_alarm([1, 2], [True, False], 1.5)


def test_bootstrap_is_reproducible_and_brackets_the_estimate() -> None:
    scores = [i % 7 + (3 if i % 3 == 0 else 0) for i in range(60)]
    labels = [i % 3 == 0 for i in range(60)]
    clusters = [i // 10 for i in range(60)]

    def statistic(indices: object) -> float:
        return roc_auc([scores[i] for i in indices], [labels[i] for i in indices])  # type: ignore[attr-defined]

    first = bootstrap_interval(statistic, 60, seed=5, clusters=clusters, resamples=300)
    again = bootstrap_interval(statistic, 60, seed=5, clusters=clusters, resamples=300)
    other = bootstrap_interval(statistic, 60, seed=6, clusters=clusters, resamples=300)
    assert first == again != other
    assert first.low <= first.estimate <= first.high


def test_auc_difference_of_a_scorer_with_itself_is_zero() -> None:
    scores = [0.1 * i for i in range(20)]
    labels = [i % 2 == 0 for i in range(20)]
    result = bootstrap_auc_difference(scores, scores, labels, seed=1, resamples=50)
    assert (result.estimate, result.low, result.high) == (0.0, 0.0, 0.0)
