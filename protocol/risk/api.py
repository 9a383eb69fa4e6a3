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
from bluezone.protocol.risk.jsonvalues import read_int
from bluezone.protocol.risk.v1 import ExposureConfiguration, score_v1
from bluezone.protocol.risk.v2 import DailySummariesConfig, score_v2
from bluezone.protocol.risk.windows import windows_from_json

__all__ = ["score_cwa_json", "score_v1_json", "score_v2_json"]


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
