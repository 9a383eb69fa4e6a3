"""Mutant recursive_keeps_earlier_days.

A recursive upload keeps the keys of days before the exposure day (breaks SRV-21).
"""

import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.reference_adapter import build_adapter


def recursive_keys(params: dict[str, Any]) -> dict[str, Any]:
    found = reference.recursive_keys(params)
    return {"kept": sorted(found["kept"] + found["dropped"]), "dropped": []}


ADAPTER = build_adapter("mutant-recursive_keeps_earlier_days", recursive_keys=recursive_keys)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
