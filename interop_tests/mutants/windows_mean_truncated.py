"""Mutant windows_mean_truncated: the typical attenuation is the mean truncated (breaks RISK-4).

Integer division where the spec rounds half up: a scan hearing 52 and 53 dB gives 52, not 53.
"""

import sys

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.reference_adapter import build_adapter

# Mutants do not import the library (tests/interop/test_independence.py): the aggregation
# module is reached through the function the reference adapter calls.
reference.exposure_windows.__globals__["typical_attenuation"] = lambda values: (
    sum(values) // len(values)
)

ADAPTER = build_adapter("mutant-windows_mean_truncated")

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
