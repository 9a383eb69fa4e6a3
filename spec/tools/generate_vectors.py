#!/usr/bin/env python3
"""Generate spec/vectors/{key-schedule,advertisement,matching}.json deterministically.

Usage: python spec/tools/generate_vectors.py [--seed N] [--out DIR]

Expected values come from reference_impl.py, a small implementation of spec sections 1-3
written from the spec text on top of the ``cryptography`` package. It never imports the
``protocol`` package, so the vectors judge the library rather than echo it. External
vectors (upstream.py) are recomputed and checked against their published values.
The same seed always yields byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import advertisement_cases
import key_schedule_cases
import matching_cases
from vectorfile import VECTORS_DIR, write_vector_file

DEFAULT_SEED = 20200410

FILES = (
    (
        "key-schedule.json",
        "GAEN key schedule: TEK, ENIntervalNumber, RPIK/RPI, AEMK/AEM, "
        "metadata, key validity, embargo (spec section 1)",
        key_schedule_cases,
    ),
    (
        "advertisement.json",
        "BLE advertising data encoding and strict decoding (spec section 2)",
        advertisement_cases,
    ),
    (
        "matching.json",
        "diagnosis key expansion and exposure matching (spec section 3)",
        matching_cases,
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Write the three vector files; print one line per file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args(argv)
    generator = f"spec/tools/generate_vectors.py --seed {args.seed}"
    for name, algorithm, module in FILES:
        groups = module.build(random.Random(f"{args.seed}/{name}"))
        count = write_vector_file(args.out, name, algorithm, generator, module.NOTES, groups)
        print(f"{name}: {count} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
