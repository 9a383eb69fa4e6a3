"""Mutant match_no_dedup: duplicate keys are all matched, and a sighting can match several keys
(breaks MATCH-4, MATCH-5)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-match_no_dedup", match=Variant(deduplicate_keys=False).handlers()["match"]
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
