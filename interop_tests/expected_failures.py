"""Expected-failures files: known failures of one implementation, each with its reason (IOP-24).

A listed test that fails is reported ``expected_failure`` and does not fail the run; a
listed test that passes is reported ``unexpected_pass`` and does, so the list cannot go
stale silently. File format::

    {"implementation": "example-client",
     "expected_failures": [{"test": "matching/tolerance+13", "reason": "bug 12"}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bluezone.interop_tests.model import (
    EXPECTED_FAILURE,
    FAILED,
    PASSED,
    PRECONDITION_FAILED,
    UNEXPECTED_PASS,
    TestResult,
)


class ExpectedFailuresError(Exception):
    """The expected-failures file is unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class ExpectedFailures:
    """Test ids an implementation is known to fail, with the reason for each."""

    implementation: str | None
    reasons: Mapping[str, str]


def load_expected_failures(path: Path) -> ExpectedFailures:
    """Read and check an expected-failures file; every entry needs a test id and a reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExpectedFailuresError(f"{path}: cannot read JSON: {exc}") from exc
    entries = data.get("expected_failures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ExpectedFailuresError(f"{path}: needs an expected_failures list")
    reasons: dict[str, str] = {}
    for entry in entries:
        test = entry.get("test") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(test, str) or not isinstance(reason, str) or not reason.strip():
            raise ExpectedFailuresError(
                f"{path}: each entry needs a test id and a reason: {entry!r}"
            )
        if test in reasons:
            raise ExpectedFailuresError(f"{path}: {test} is listed twice")
        reasons[test] = reason.strip()
    implementation = data.get("implementation")
    return ExpectedFailures(implementation if isinstance(implementation, str) else None, reasons)


def apply_expected_failures(
    results: Iterable[TestResult], expected: ExpectedFailures
) -> list[TestResult]:
    """Turn listed failures into expected_failure and listed passes into unexpected_pass."""
    out: list[TestResult] = []
    for result in results:
        reason = expected.reasons.get(result.test.id)
        if reason is None:
            out.append(result)
        elif result.verdict in (FAILED, PRECONDITION_FAILED):
            out.append(
                replace(
                    result,
                    verdict=EXPECTED_FAILURE,
                    reason=f"expected: {reason}; {result.verdict}: {result.reason}",
                )
            )
        elif result.verdict == PASSED:
            out.append(
                replace(
                    result,
                    verdict=UNEXPECTED_PASS,
                    reason=f"listed as an expected failure ({reason}) but passed: "
                    "remove it from the expected-failures file",
                )
            )
        else:
            out.append(result)
    return out


def unknown_entries(expected: ExpectedFailures, test_ids: Iterable[str]) -> list[str]:
    """Listed test ids that name no test of the suite (typos, or tests since renamed)."""
    known = set(test_ids)
    return sorted(test for test in expected.reasons if test not in known)
