"""Building and writing vector files in the bluezone-vectors/1 layout (spec CONV-5).

A file is a list of groups, each holding tests. A group either has a runner (built on
``reference_impl``) that computes every test's expected outcome from its inputs, and then
checks whatever the case states (an error code, or published outputs) against it, so a
case's comment, its error and the reference implementation can never drift apart; or it has
none, and each case states its outcome, computed by the generator's own reference code.
A test is ``invalid`` exactly when its expected outcome is an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reference_impl import SpecError

SCHEMA = "bluezone-vectors/1"
GENERATED = "generated"
VECTORS_DIR = Path(__file__).resolve().parent.parent / "vectors"

Runner = Callable[[dict[str, Any]], dict[str, Any]]


class Group:
    """One test group: a type name, a comment, an optional runner and its tests."""

    def __init__(self, group_type: str, comment: str, runner: Runner | None = None) -> None:
        self.group_type = group_type
        self.comment = comment
        self.runner = runner
        self.tests: list[dict[str, Any]] = []

    def add(
        self,
        comment: str,
        spec: list[str],
        flags: list[str],
        inputs: dict[str, Any],
        *,
        error: str | None = None,
        expected: Mapping[str, Any] | None = None,
        source: str = GENERATED,
    ) -> None:
        """Add a test (tcIds are assigned when the file is written).

        With a runner, the outcome is the runner's, and ``error`` or ``expected`` (if given)
        must agree with it. Without one, the case states it: ``error``, or ``expected``
        (which, when the generator computes the outcome, may itself be ``{"error": code}``).
        """
        if self.runner is None:
            outcome = _stated(comment, error, expected)
        else:
            outcome = _run(self.runner, comment, spec, inputs, error, expected)
        self.tests.append(
            {
                "comment": comment,
                "spec": spec,
                "flags": flags,
                "source": source,
                "inputs": inputs,
                "expected": outcome,
                "result": "invalid" if "error" in outcome else "valid",
            }
        )


def _run(
    runner: Runner,
    comment: str,
    spec: list[str],
    inputs: dict[str, Any],
    error: str | None,
    expected: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The runner's outcome for ``inputs``, checked against what the case states."""
    try:
        outcome = runner(inputs)
    except SpecError as failure:
        if failure.code != error:
            raise AssertionError(
                f"{comment!r}: runner says {failure.code}, case {error}"
            ) from failure
        if failure.rule not in spec:
            raise AssertionError(f"{comment!r}: rule {failure.rule} not in {spec}") from failure
        return {"error": failure.code}
    if error is not None:
        raise AssertionError(f"{comment!r}: runner accepts, case expects {error}")
    if expected is not None and any(outcome[k] != v for k, v in expected.items()):
        raise AssertionError(f"{comment!r}: runner gives {outcome}, published {expected}")
    return outcome


def _stated(comment: str, error: str | None, expected: Mapping[str, Any] | None) -> dict[str, Any]:
    """The outcome a case states for a group without a runner: exactly one of the two."""
    if error is not None and expected is None:
        return {"error": error}
    if error is None and expected is not None:
        return dict(expected)
    raise ValueError(f"{comment!r}: state either an error or the expected outputs")


def text_hex(text: str) -> str:
    """A text value as vectors carry it: its UTF-8 bytes in lowercase hex."""
    return text.encode("utf-8").hex()


def write_vector_file(
    out_dir: Path,
    name: str,
    algorithm: str,
    generator: str,
    notes: dict[str, str],
    groups: list[Group],
) -> int:
    """Write ``out_dir/name`` and return its number of tests.

    Tests are numbered from 1 in file order; the text is 2-space indented ASCII JSON with a
    final newline, so the same groups always give the same bytes. Every flag a test uses
    needs a note; only the notes of used flags are written.
    """
    used = {flag for group in groups for test in group.tests for flag in test["flags"]}
    missing = used - notes.keys()
    if missing:
        raise ValueError(f"flags without a note: {sorted(missing)}")
    tc_id = 0
    json_groups = []
    for group in groups:
        tests = []
        for test in group.tests:
            tc_id += 1
            tests.append({"tcId": tc_id, **test})
        json_groups.append({"type": group.group_type, "comment": group.comment, "tests": tests})
    document = {
        "schema": SCHEMA,
        "algorithm": algorithm,
        "generator": generator,
        "notes": {flag: notes[flag] for flag in sorted(used)},
        "numberOfTests": tc_id,
        "testGroups": json_groups,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    (out_dir / name).write_text(text, encoding="utf-8", newline="\n")
    return tc_id
