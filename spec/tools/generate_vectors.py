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
import json
import random
import sys
from pathlib import Path

import advertisement_cases
import key_schedule_cases
import matching_cases
from vectorfile import vector_file

DEFAULT_SEED = 20200410
VECTORS_DIR = Path(__file__).resolve().parent.parent / "vectors"

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


def render(seed: int) -> dict[str, str]:
    """File name -> file text for one seed."""
    generator = f"spec/tools/generate_vectors.py --seed {seed}"
    texts = {}
    for name, algorithm, module in FILES:
        rng = random.Random(f"{seed}/{name}")
        texts[name] = vector_file(algorithm, generator, module.NOTES, module.build(rng))
    return texts


def main(argv: list[str] | None = None) -> int:
    """Write the three vector files; print one line per file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render(args.seed).items():
        (args.out / name).write_text(text, encoding="utf-8", newline="\n")
        count = json.loads(text)["numberOfTests"]
        print(f"{name}: {count} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
