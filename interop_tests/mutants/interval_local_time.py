"""Mutant interval_local_time: interval numbers from local time, UTC+7 (breaks KS-2).

A 2020 GAEN library computed ENIntervalNumber from the device's local time; in Vietnam that
is 42 intervals late.
"""

import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import int_param, run
from bluezone.interop_tests.reference_adapter import build_adapter

UTC_OFFSET_S = 7 * 3600


def interval_number(params: dict[str, Any]) -> dict[str, Any]:
    reference.interval_number_op(params)  # the same inputs are refused
    return {"interval": (int_param(params, "unix_seconds") + UTC_OFFSET_S) // 600}


ADAPTER = build_adapter("mutant-interval_local_time", interval_number=interval_number)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
