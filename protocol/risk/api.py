"""JSON in, JSON out: the scorers as the vectors and the interop adapter ops call them.

``score_cwa_json(config, windows)`` and ``score_v2_json(config, windows)`` take decoded JSON
(decode with ``parse_float=decimal.Decimal`` to keep the configuration's decimals exact) and
return JSON-ready dicts; they raise only ``ProtocolError`` subclasses.
"""

from __future__ import annotations

from typing import Any

from protocol.risk.cwa import CwaConfiguration, score_cwa
from protocol.risk.windows import windows_from_json

__all__ = ["score_cwa_json"]


def score_cwa_json(config: Any, windows: Any) -> dict[str, Any]:
    """The ``score_cwa {config, windows}`` op: CWA's verdict over the windows (RISK-30..38)."""
    return score_cwa(CwaConfiguration.from_json(config), windows_from_json(windows)).to_json()
