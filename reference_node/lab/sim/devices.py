"""Phone models of the risk simulator: calibration from Google's table, and what it misses.

Each simulated phone is a model of the calibration table (RISK-1). The table gives the TX
power the sender writes into its metadata and the RSSI correction the receiver adds; the
simulated hardware differs from both by a residual per model that the table does not know,
drawn once per model: the calibration is good, not perfect. Receivers know their own
model; senders are known to receivers only through the TX power in their metadata.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bluezone.protocol.params import CALIBRATION_CONFIDENCE_MEASURED
from bluezone.protocol.risk.calibration import CalibrationRow, CalibrationTable

__all__ = [
    "DeviceModel",
    "DevicePopulation",
    "draw_population",
]

# Residual (true minus table) per model, standard deviation in dB. Measured rows: 3 dB, the
# spread of the per-receiver-model offsets fitted on the NHS experiments after the table's
# corrections (RISK-57 fit: 2.9 dB over 7 models). Extrapolated rows: 5 dB, assumed wider.
RESIDUAL_SD_MEASURED_DB = 3.0
RESIDUAL_SD_EXTRAPOLATED_DB = 5.0
# How many models of each kind a population holds (measured rows are 306 of the table's
# 11,809; phones in use lean towards popular, measured models).
MEASURED_MODELS = 16
EXTRAPOLATED_MODELS = 8
# Share of phones drawn from extrapolated models.
EXTRAPOLATED_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """One phone model: its table row and its hardware's residuals from that row (dB).

    ``tx_residual_db`` adds to the radiated power the table implies; ``rx_residual_db``
    adds to the RSSI correction the receiver would need (a positive value: the receiver
    reads lower than the table assumes).
    """

    row: CalibrationRow
    tx_residual_db: float
    rx_residual_db: float

    @property
    def name(self) -> str:
        """The model name as the table spells it."""
        return self.row.model


@dataclass(frozen=True, slots=True)
class DevicePopulation:
    """The phone models in use, with the weights phones are drawn with."""

    models: tuple[DeviceModel, ...]
    weights: tuple[float, ...]

    def draw(self, rng: random.Random) -> DeviceModel:
        """One phone's model, drawn by weight."""
        return rng.choices(self.models, weights=self.weights)[0]


def draw_population(table: CalibrationTable, rng: random.Random) -> DevicePopulation:
    """A population of measured and extrapolated models of ``table`` with their residuals.

    Popularity falls off as 1/rank within each kind (a Zipf law, as phone market shares
    do); extrapolated models together get EXTRAPOLATED_SHARE of the phones.
    """
    measured = [r for r in table.rows if r.confidence == CALIBRATION_CONFIDENCE_MEASURED]
    extrapolated = [r for r in table.rows if r.confidence != CALIBRATION_CONFIDENCE_MEASURED]
    chosen_measured = _distinct_models(measured, MEASURED_MODELS, rng)
    chosen_extrapolated = _distinct_models(extrapolated, EXTRAPOLATED_MODELS, rng)
    models: list[DeviceModel] = []
    weights: list[float] = []
    for rows, sd, share in (
        (chosen_measured, RESIDUAL_SD_MEASURED_DB, 1.0 - EXTRAPOLATED_SHARE),
        (chosen_extrapolated, RESIDUAL_SD_EXTRAPOLATED_DB, EXTRAPOLATED_SHARE),
    ):
        zipf = [1.0 / (rank + 1) for rank in range(len(rows))]
        total = sum(zipf)
        for row, weight in zip(rows, zipf, strict=True):
            models.append(DeviceModel(row, rng.gauss(0.0, sd), rng.gauss(0.0, sd)))
            weights.append(share * weight / total)
    return DevicePopulation(tuple(models), tuple(weights))


def _distinct_models(
    rows: Sequence[CalibrationRow], count: int, rng: random.Random
) -> list[CalibrationRow]:
    """``count`` rows with distinct model names, drawn without replacement."""
    by_model: dict[str, CalibrationRow] = {}
    for row in rows:
        by_model.setdefault(row.model, row)
    names = sorted(by_model)
    return [by_model[name] for name in rng.sample(names, min(count, len(names)))]
