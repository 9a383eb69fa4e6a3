"""Mutant revisions_ignored.

Revised keys are ignored: a key keeps the report type of its first copy, so a revoked alert is
never withdrawn (breaks MATCH-11).
"""

import copy
import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.reference_adapter import build_adapter


def resolve_keys(params: dict[str, Any]) -> dict[str, Any]:
    reference.resolve_keys(params)
    first_copies = copy.deepcopy(params)
    for batch in first_copies["batches"]:
        batch["revised_keys"] = []
    return reference.resolve_keys(first_copies)


ADAPTER = build_adapter("mutant-revisions_ignored", resolve_keys=resolve_keys)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
