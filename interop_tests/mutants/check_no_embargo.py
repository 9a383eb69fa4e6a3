"""Mutant check_no_embargo: the exposure check matches keys still in their embargo (MATCH-8).

Each key the reference rejects as embargoed is checked again as if its embargo were over,
and what it matches is kept.
"""

import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.reference_adapter import build_adapter

EMBARGO_INTERVALS = 12


def check_exposures(params: dict[str, Any]) -> dict[str, Any]:
    result = reference.check_exposures_op(params)
    for rejection in [r for r in result["rejected_keys"] if r["error"] == "embargoed_key"]:
        index = rejection["key_index"]
        key = params["keys"][index]
        later = key["rolling_start"] + key["rolling_period"] + EMBARGO_INTERVALS
        alone = reference.check_exposures_op({**params, "keys": [key], "now_interval": later})
        result["rejected_keys"].remove(rejection)
        result["matches"] += [{**m, "key_index": index} for m in alone["matches"]]
        result["discarded_sightings"] += alone["discarded_sightings"]
    return result


ADAPTER = build_adapter("mutant-check_no_embargo", check_exposures=check_exposures)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
