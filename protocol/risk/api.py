"""JSON in, JSON out: the scorers as the vectors and the interop adapter ops call them.

Each function takes decoded JSON (decode with ``parse_float=decimal.Decimal`` to keep the
configuration's decimals exact; floats are read through their shortest decimal form, which
gives the same values) and returns a JSON-ready dict. They raise only ``ProtocolError``
subclasses: ``invalid_risk_configuration`` and ``invalid_exposure_window``.
"""

from __future__ import annotations

from typing import Any

from bluezone.protocol.params import MAX_DAY
from bluezone.protocol.risk.cwa import CwaConfiguration, score_cwa
from bluezone.protocol.risk.errors import InvalidConfigurationError
from bluezone.protocol.risk.jsonvalues import read_decimal, read_int, read_object
from bluezone.protocol.risk.levels import LEVEL_NAMES, LevelSettings, exposure_level, level_change
from bluezone.protocol.risk.resources import enx_defaults
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, V2Profile, score_v2
from bluezone.protocol.risk.windows import windows_from_json

__all__ = [
    "exposure_level_json",
    "level_change_json",
    "score_cwa_json",
    "score_v1_json",
    "score_v2_json",
]


def score_cwa_json(config: Any, windows: Any) -> dict[str, Any]:
    """The ``score_cwa {config, windows}`` op: CWA's verdict over the windows (RISK-30..38)."""
    return score_cwa(CwaConfiguration.from_json(config), windows_from_json(windows)).to_json()


def score_v2_json(config: Any, windows: Any, today: Any = None) -> dict[str, Any]:
    """The ``score_v2 {config, windows[, today]}`` op: GAEN v2 daily summaries (RISK-10..14)."""
    parsed = DailySummariesConfig.from_json(config)
    day = None if today is None else read_int(today, "today", InvalidConfigurationError, 0, MAX_DAY)
    summaries = score_v2(parsed, windows_from_json(windows), day)
    return {"daily_summaries": [s.to_json() for s in summaries]}


def score_v1_json(config: Any, windows: Any, today: Any) -> dict[str, Any]:
    """GAEN v1 summary of the windows seen on day ``today`` (RISK-20..25)."""
    parsed = ExposureConfiguration.from_json(config)
    day = read_int(today, "today", InvalidConfigurationError, 0, MAX_DAY)
    return score_v1(parsed, windows_from_json(windows), day).to_json()


def exposure_level_json(params: Any) -> dict[str, Any]:
    """The ``exposure_level`` op: F1, F2 or none with its day and score (spec RISK-59).

    ``{config, windows, score_sum_threshold, recursive_weight,
    recursive_score_sum_threshold}``: a v2 configuration and windows as in ``score_v2``.
    """
    obj = read_object(
        params,
        "exposure_level",
        InvalidConfigurationError,
        required=(
            "config",
            "windows",
            "score_sum_threshold",
            "recursive_weight",
            "recursive_score_sum_threshold",
        ),
    )
    profile = V2Profile(
        enx_defaults().diagnosis_keys_data_mapping,  # windows carry infectiousness already
        DailySummariesConfig.from_json(obj["config"]),
        read_decimal(
            obj["score_sum_threshold"], "score_sum_threshold", InvalidConfigurationError, 0
        ),
    )
    settings = LevelSettings(
        read_decimal(obj["recursive_weight"], "recursive_weight", InvalidConfigurationError, 0),
        read_decimal(
            obj["recursive_score_sum_threshold"],
            "recursive_score_sum_threshold",
            InvalidConfigurationError,
            0,
        ),
    )
    level = exposure_level(windows_from_json(obj["windows"]), profile, settings)
    score = level.score
    return {
        "level": level.level,
        "day": level.day,
        "score": score.numerator if score.denominator == 1 else float(score),
    }


def level_change_json(params: Any) -> dict[str, Any]:
    """The ``level_change`` op: the change between two levels and its reason (RISK-61)."""
    obj = read_object(
        params,
        "level_change",
        InvalidConfigurationError,
        required=("previous", "current", "matched_before", "matched_now"),
    )
    for name in ("previous", "current"):
        if not isinstance(obj[name], str) or obj[name] not in LEVEL_NAMES:
            raise InvalidConfigurationError(f"RISK-61: {name} must be F1, F2 or none")
    counts = []
    for name in ("matched_before", "matched_now"):
        value = obj[name]
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in value.items()
        ):
            raise InvalidConfigurationError(f"RISK-61: {name} maps report type names to counts")
        counts.append(value)
    found = level_change(obj["previous"], obj["current"], counts[0], counts[1])
    change, reason = found if found is not None else (None, None)
    return {"change": change, "reason": reason}
