"""Assembling vector files: groups of tests whose expected values come from a runner.

Every test's expected output is computed by running the group's runner (built on
``reference_impl``) on the test's inputs. A case may also state what it expects (an error
code, or published outputs): the builder then checks the runner agrees, so a case's
comment, its error and the reference implementation can never drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from reference_impl import SpecError

SCHEMA = "bluezone-vectors/1"
GENERATED = "generated"

Runner = Callable[[dict[str, Any]], dict[str, Any]]


class Group:
    """One test group: a type name, a comment, a runner and its tests."""

    def __init__(self, group_type: str, comment: str, runner: Runner) -> None:
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
        """Add a test; ``error`` or ``expected`` (if given) must agree with the runner."""
        try:
            outcome = self.runner(inputs)
        except SpecError as failure:
            if failure.code != error:
                raise AssertionError(
                    f"{comment!r}: runner says {failure.code}, case {error}"
                ) from failure
            if failure.rule not in spec:
                raise AssertionError(f"{comment!r}: rule {failure.rule} not in {spec}") from failure
            result, outcome = "invalid", {"error": failure.code}
        else:
            if error is not None:
                raise AssertionError(f"{comment!r}: runner accepts, case expects {error}")
            if expected is not None and any(outcome[k] != v for k, v in expected.items()):
                raise AssertionError(f"{comment!r}: runner gives {outcome}, published {expected}")
            result = "valid"
        self.tests.append(
            {
                "comment": comment,
                "spec": spec,
                "flags": flags,
                "source": source,
                "inputs": inputs,
                "expected": outcome,
                "result": result,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """The group as the file holds it (tcIds are assigned by the file)."""
        return {"type": self.group_type, "comment": self.comment, "tests": self.tests}


def vector_file(algorithm: str, generator: str, notes: dict[str, str], groups: list[Group]) -> str:
    """Serialise groups into one vector file's text, numbering tests from 1."""
    tc_id = 0
    json_groups = []
    for group in groups:
        tests = []
        for test in group.tests:
            tc_id += 1
            tests.append({"tcId": tc_id, **test})
        json_groups.append({**group.to_json(), "tests": tests})
    used = {flag for group in groups for test in group.tests for flag in test["flags"]}
    missing = used - notes.keys()
    if missing:
        raise AssertionError(f"flags without a note: {sorted(missing)}")
    document = {
        "schema": SCHEMA,
        "algorithm": algorithm,
        "generator": generator,
        "notes": {flag: notes[flag] for flag in sorted(used)},
        "numberOfTests": tc_id,
        "testGroups": json_groups,
    }
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
