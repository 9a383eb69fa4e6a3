"""File helpers for the section 4 generators (export, merkle, checkpoint vectors).

They write the same bluezone-vectors/1 layout as vectorfile.py (2-space indent, ASCII,
tests numbered from 1 in file order); their expected values come from each generator's own
reference code rather than from a runner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_DIR = Path(__file__).resolve().parent.parent / "vectors"


class TestCounter:
    """Hands out tcId values, unique within one file."""

    def __init__(self) -> None:
        self.next_id = 1

    def take(self) -> int:
        tc_id = self.next_id
        self.next_id += 1
        return tc_id


def test_case(
    counter: TestCounter,
    comment: str,
    spec: list[str],
    inputs: dict[str, Any],
    expected: dict[str, Any],
    result: str,
    flags: list[str],
    source: str = "generated",
) -> dict[str, Any]:
    """Return one test in the shared vector shape."""
    return {
        "tcId": counter.take(),
        "comment": comment,
        "spec": spec,
        "flags": flags,
        "source": source,
        "inputs": inputs,
        "expected": expected,
        "result": result,
    }


def text_hex(text: str) -> str:
    """A text value as vectors carry it: its UTF-8 bytes in lowercase hex."""
    return text.encode("utf-8").hex()


def write_vector_file(
    out_dir: Path,
    name: str,
    algorithm: str,
    generator: str,
    notes: dict[str, str],
    groups: list[dict[str, Any]],
) -> None:
    """Write ``out_dir/name`` as a bluezone-vectors/1 file, numbering tests in file order."""
    used = {flag for group in groups for test in group["tests"] for flag in test["flags"]}
    missing = used - notes.keys()
    if missing:
        raise ValueError(f"flags without a note: {sorted(missing)}")
    tc_id = 0
    json_groups = []
    for group in groups:
        tests = []
        for test in group["tests"]:
            tc_id += 1
            tests.append({**test, "tcId": tc_id})
        json_groups.append({"type": group["type"], "comment": group["comment"], "tests": tests})
    document: dict[str, Any] = {
        "schema": "bluezone-vectors/1",
        "algorithm": algorithm,
        "generator": generator,
        "notes": {flag: notes[flag] for flag in sorted(used)},
        "numberOfTests": tc_id,
        "testGroups": json_groups,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    (out_dir / name).write_text(text, encoding="utf-8", newline="\n")
