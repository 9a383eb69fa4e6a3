"""Calibrating the proximity profile's path-loss model on labelled encounters (spec RISK-57).

Pure: takes encounters at known, fixed distances (with the receiving phone's model) and
returns the fitted model; ``PathLossFit.config`` turns it into the configuration a phone of a
given model uses. The evaluation fits on some experiments and tests on the others.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from protocol.risk.errors import InvalidGroundTruthError
from protocol.risk.proximity import ProximityConfig
from protocol.risk.windows import ExposureWindow

__all__ = ["PathLossFit", "PathLossSample", "fit_path_loss"]

_DB_PER_LN = 10.0 / math.log(10.0)


@dataclass(frozen=True, slots=True)
class PathLossSample:
    """Windows a receiver of ``receiver_model`` reported about a phone ``distance_m`` away."""

    windows: Sequence[ExposureWindow]
    distance_m: float
    receiver_model: str | None = None


@dataclass(frozen=True, slots=True)
class PathLossFit:
    """Fitted path-loss model: shared slope and offset, noise, and per-receiver-model shifts."""

    attenuation_at_1m_db: float
    path_loss_exponent: float
    min_attenuation_offset_db: float
    typical_variance_db2: float
    min_variance_db2: float
    typical_min_covariance_db2: float
    model_offsets_db: Mapping[str, float]
    scan_instances: int

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
        )


def fit_path_loss(
    samples: Iterable[PathLossSample], model_prior_scans: float = 50.0
) -> PathLossFit:
    """Least-squares fit of the RISK-50 model to every scan instance of the samples (RISK-57).

    Model, for scan instance i of a receiver of model k at distance d:
    typical_i = A1 + o_k + b ln d + e_i and minimum_i = A1 - delta + o_k + b ln d + e'_i, one
    regression over both attenuations. The model offsets o_k are shrunk towards 0 with a ridge
    penalty worth ``model_prior_scans`` scan instances at offset 0 (models seen rarely keep
    offsets near 0). The noise covariance is that of the paired residuals (e_i, e'_i).
    Raises InvalidGroundTruthError unless there are scans at two or more distances.
    """
    rows: list[tuple[float, float, float, str | None]] = []
    for sample in samples:
        if not math.isfinite(sample.distance_m) or sample.distance_m <= 0:
            raise InvalidGroundTruthError("RISK-57: distances must be positive and finite")
        for window in sample.windows:
            for scan in window.scan_instances:
                rows.append(
                    (
                        math.log(sample.distance_m),
                        float(scan.typical_attenuation_db),
                        float(scan.min_attenuation_db),
                        sample.receiver_model,
                    )
                )
    logs = np.array([r[0] for r in rows])
    if len(rows) < 3 or np.ptp(logs) == 0.0:
        raise InvalidGroundTruthError("RISK-57: need scans at two or more distances")
    models = sorted({r[3] for r in rows if r[3] is not None})
    index = {model: 2 + i for i, model in enumerate(models)}
    # Columns: intercept, ln d, -1 for minimum rows (delta), one-hot receiver model.
    design = np.zeros((2 * len(rows), 3 + len(models)))
    target = np.empty(2 * len(rows))
    for i, (log_d, typical, minimum, model) in enumerate(rows):
        for j, value in ((0, typical), (1, minimum)):
            design[2 * i + j, 0] = 1.0
            design[2 * i + j, 1] = log_d
            design[2 * i + j, 2] = -float(j)
            if model is not None:
                design[2 * i + j, 1 + index[model]] = 1.0
            target[2 * i + j] = value
    penalty = np.zeros(design.shape[1])
    penalty[3:] = 2.0 * model_prior_scans
    coef = np.linalg.solve(design.T @ design + np.diag(penalty), design.T @ target)
    residual = (target - design @ coef).reshape(-1, 2)
    covariance = np.cov(residual.T)
    return PathLossFit(
        attenuation_at_1m_db=float(coef[0]),
        path_loss_exponent=max(float(coef[1]) / _DB_PER_LN, 0.1),
        min_attenuation_offset_db=max(float(coef[2]), 0.0),
        typical_variance_db2=max(float(covariance[0, 0]), 0.01),
        min_variance_db2=max(float(covariance[1, 1]), 0.01),
        typical_min_covariance_db2=_bounded_covariance(covariance),
        model_offsets_db={model: float(coef[1 + index[model]]) for model in models},
        scan_instances=len(rows),
    )


def _bounded_covariance(covariance: np.ndarray) -> float:
    """The off-diagonal term, shrunk just enough to keep the matrix positive definite."""
    limit = 0.999 * math.sqrt(max(covariance[0, 0], 0.01) * max(covariance[1, 1], 0.01))
    return float(min(max(covariance[0, 1], -limit), limit))
