"""Mutant recursive_counts_as_f1.

RECURSIVE windows count towards F1 like confirmed ones, so a contact of a contact is F1
(breaks RISK-59).
"""

import copy
import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.reference_adapter import build_adapter


def exposure_level(params: dict[str, Any]) -> dict[str, Any]:
    reference.exposure_level(params)
    changed = copy.deepcopy(params)
    for window in changed["windows"]:
        if window["report_type"] == 4:
            window["report_type"] = 1
    return reference.exposure_level(changed)


ADAPTER = build_adapter("mutant-recursive_counts_as_f1", exposure_level=exposure_level)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
