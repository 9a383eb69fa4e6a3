"""Shared helpers for the vector generators: the bluezone-vectors/1 file shape."""

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


def write_vector_file(
    path: Path,
    algorithm: str,
    generator: str,
    notes: dict[str, str],
    groups: list[dict[str, Any]],
    sources: dict[str, str] | None = None,
) -> None:
    """Write a bluezone-vectors/1 file with a stable layout (sorted flags, 1-space indent)."""
    used = {flag for group in groups for test in group["tests"] for flag in test["flags"]}
    missing = used - notes.keys()
    if missing:
        raise ValueError(f"flags without a note: {sorted(missing)}")
    document: dict[str, Any] = {
        "schema": "bluezone-vectors/1",
        "algorithm": algorithm,
        "generator": generator,
    }
    if sources:
        document["sources"] = sources
    document["notes"] = {flag: notes[flag] for flag in sorted(used)}
    document["numberOfTests"] = sum(len(group["tests"]) for group in groups)
    document["testGroups"] = groups
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
