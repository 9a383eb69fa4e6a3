"""Calibrating the proximity profile's path-loss model on labelled encounters (spec RISK-57).

Pure: takes encounters at known distances (with the receiving phone's model) and returns the
fitted model; ``PathLossFit.config`` turns it into the configuration a phone of a
given model uses. The evaluation fits on some experiments and tests on the others.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bluezone.protocol.risk.errors import InvalidGroundTruthError
from bluezone.protocol.risk.proximity import ProximityConfig
from bluezone.protocol.risk.windows import ExposureWindow, ScanInstance

__all__ = ["PathLossFit", "PathLossSample", "fit_path_loss"]

_DB_PER_LN = 10.0 / math.log(10.0)


@dataclass(frozen=True, slots=True)
class PathLossSample:
    """One encounter: the windows a receiver of ``receiver_model`` reported about one phone,
    ``distance_m`` away throughout or, when ``scan_distances_m`` is given, at those distances
    (one per scan instance, in window and scan order)."""

    windows: Sequence[ExposureWindow]
    distance_m: float
    receiver_model: str | None = None
    scan_distances_m: Sequence[float] = ()

    def scans(self) -> list[tuple[float, ScanInstance]]:
        """(distance, scan instance) of every scan; raises InvalidGroundTruthError when the
        distances are not positive and finite or do not match the scans one to one."""
        scans = [scan for window in self.windows for scan in window.scan_instances]
        distances = list(self.scan_distances_m) or [self.distance_m] * len(scans)
        if len(distances) != len(scans):
            raise InvalidGroundTruthError("RISK-57: one distance per scan instance")
        if not all(math.isfinite(d) and d > 0 for d in distances):
            raise InvalidGroundTruthError("RISK-57: distances must be positive and finite")
        return list(zip(distances, scans, strict=True))


@dataclass(frozen=True, slots=True)
class PathLossFit:
    """Fitted path-loss model: shared slope and offset, noise within an encounter, variance
    of the offset shared by an encounter, and per-receiver-model shifts."""

    attenuation_at_1m_db: float
    path_loss_exponent: float
    min_attenuation_offset_db: float
    typical_variance_db2: float
    min_variance_db2: float
    typical_min_covariance_db2: float
    shared_variance_db2: float
    model_offsets_db: Mapping[str, float]
    scan_instances: int
    encounters: int

    def config(self, base: ProximityConfig, receiver_model: str | None = None) -> ProximityConfig:
        """``base`` with this fit, for a receiver of ``receiver_model`` (unknown models: 0 dB)."""
        offset = self.model_offsets_db.get(receiver_model, 0.0) if receiver_model else 0.0
        return dataclasses.replace(
            base,
            attenuation_at_1m_db=min(max(self.attenuation_at_1m_db + offset, 0.0), 255.0),
            path_loss_exponent=self.path_loss_exponent,
            min_attenuation_offset_db=self.min_attenuation_offset_db,
            typical_variance_db2=self.typical_variance_db2,
            min_variance_db2=self.min_variance_db2,
            typical_min_covariance_db2=self.typical_min_covariance_db2,
            shared_variance_db2=self.shared_variance_db2,
        )


@dataclass(frozen=True, slots=True)
class _Rows:
    """Every scan of the samples: ln d, typical, minimum, receiver model, encounter index."""

    log_distance: np.ndarray
    attenuation: np.ndarray  # (scans, 2): typical, minimum
    models: list[str | None]
    encounter: np.ndarray


def _rows(samples: Iterable[PathLossSample]) -> _Rows:
    log_distance, attenuation, models, encounter = [], [], [], []
    for index, sample in enumerate(samples):
        for distance, scan in sample.scans():
            log_distance.append(math.log(distance))
            attenuation.append((scan.typical_attenuation_db, scan.min_attenuation_db))
            models.append(sample.receiver_model)
            encounter.append(index)
    return _Rows(
        np.array(log_distance, dtype=float),
        np.array(attenuation, dtype=float).reshape(-1, 2),
        models,
        np.array(encounter, dtype=np.int64),
    )


def fit_path_loss(
    samples: Iterable[PathLossSample], model_prior_scans: float = 50.0
) -> PathLossFit:
    """Least-squares fit of the RISK-50 model to every scan instance of the samples (RISK-57).

    Model, for scan instance i of encounter g, a receiver of model k at distance d:
    typical_i = A1 + o_k + b ln d + u_g + e_i and minimum_i = A1 - delta + o_k + b ln d + u_g +
    e'_i, one regression over both attenuations. The model offsets o_k are shrunk towards 0
    with a ridge penalty worth ``model_prior_scans`` scan instances at offset 0 (models seen
    rarely keep offsets near 0). The residuals split into variance components: R, the
    covariance of (e_i, e'_i) around each encounter's mean, and tau^2, the variance of the
    encounter offset u_g (the one-way analysis-of-variance estimator, floored at 0).
    Raises InvalidGroundTruthError unless there are scans at two or more distances, two or
    more encounters, and an encounter with two or more scans.
    """
    rows = _rows(samples)
    encounters = int(rows.encounter.max()) + 1 if rows.encounter.size else 0
    if len(rows.models) < 3 or np.ptp(rows.log_distance) == 0.0:
        raise InvalidGroundTruthError("RISK-57: need scans at two or more distances")
    counts = np.bincount(rows.encounter, minlength=encounters)
    groups = int(np.count_nonzero(counts))
    if groups < 2 or len(rows.models) == groups:
        raise InvalidGroundTruthError(
            "RISK-57: need two or more encounters, one of them with two or more scans"
        )
    coef, names = _regression(rows, model_prior_scans)
    residual = rows.attenuation - (_design(rows, names) @ coef).reshape(-1, 2)
    within, shared = _variance_components(residual, rows.encounter, counts)
    return PathLossFit(
        attenuation_at_1m_db=float(coef[0]),
        path_loss_exponent=max(float(coef[1]) / _DB_PER_LN, 0.1),
        min_attenuation_offset_db=max(float(coef[2]), 0.0),
        typical_variance_db2=max(float(within[0, 0]), 0.01),
        min_variance_db2=max(float(within[1, 1]), 0.01),
        typical_min_covariance_db2=_bounded_covariance(within),
        shared_variance_db2=shared,
        model_offsets_db={model: float(coef[3 + i]) for i, model in enumerate(names)},
        scan_instances=len(rows.models),
        encounters=groups,
    )


def _design(rows: _Rows, names: Sequence[str]) -> np.ndarray:
    """Two rows per scan (typical, minimum). Columns: intercept, ln d, -1 on minimum rows
    (delta), one-hot receiver model."""
    index = {model: 3 + i for i, model in enumerate(names)}
    count = len(rows.models)
    design = np.zeros((2 * count, 3 + len(names)))
    design[:, 0] = 1.0
    design[:, 1] = np.repeat(rows.log_distance, 2)
    design[1::2, 2] = -1.0
    for i, model in enumerate(rows.models):
        if model is not None:
            design[2 * i : 2 * i + 2, index[model]] = 1.0
    return design


def _regression(rows: _Rows, model_prior_scans: float) -> tuple[np.ndarray, list[str]]:
    """Ridge-penalised least squares (penalty on the model offsets only); the receiver
    models in column order."""
    names = sorted({model for model in rows.models if model is not None})
    design = _design(rows, names)
    penalty = np.zeros(design.shape[1])
    penalty[3:] = 2.0 * model_prior_scans
    target = rows.attenuation.reshape(-1)
    return np.linalg.solve(design.T @ design + np.diag(penalty), design.T @ target), names


def _variance_components(
    residual: np.ndarray, encounter: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, float]:
    """R: the pooled covariance of the paired residuals around their encounter's mean;
    tau^2: the variance of the encounters' offsets, from the mean of each scan's two
    residuals (one-way ANOVA, unbalanced: (MS_between - MS_within) / n0, floored at 0)."""
    present = counts > 0
    sums = np.zeros((counts.size, 2))
    np.add.at(sums, encounter, residual)
    means = sums[present] / counts[present, None]
    deviation = residual - (sums / np.maximum(counts, 1)[:, None])[encounter]
    scans, groups = residual.shape[0], means.shape[0]
    within = deviation.T @ deviation / (scans - groups)
    pair = np.array([0.5, 0.5])
    ms_within = float(pair @ within @ pair)
    grand = float(residual.mean(axis=0) @ pair)
    ms_between = float(np.sum(counts[present] * (means @ pair - grand) ** 2)) / (groups - 1)
    n0 = (scans - float(np.sum(counts[present] ** 2)) / scans) / (groups - 1)
    return within, max((ms_between - ms_within) / n0, 0.0)


def _bounded_covariance(covariance: np.ndarray) -> float:
    """The off-diagonal term, shrunk just enough to keep the matrix positive definite."""
    limit = 0.999 * math.sqrt(max(covariance[0, 0], 0.01) * max(covariance[1, 1], 0.01))
    return float(min(max(covariance[0, 1], -limit), limit))
