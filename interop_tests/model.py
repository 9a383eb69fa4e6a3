"""What a conformance test is, and the verdicts it can earn (spec IOP-23)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bluezone.interop_tests.checks import Context

# spec IOP-23: verdicts.
PASSED = "passed"
FAILED = "failed"
UNSUPPORTED = "unsupported"
PRECONDITION_FAILED = "precondition_failed"
NOT_APPLICABLE = "not_applicable"
EXPECTED_FAILURE = "expected_failure"
UNEXPECTED_PASS = "unexpected_pass"
VERDICTS = (
    PASSED,
    FAILED,
    PRECONDITION_FAILED,
    UNEXPECTED_PASS,
    EXPECTED_FAILURE,
    UNSUPPORTED,
    NOT_APPLICABLE,
)
# spec IOP-23: any of these makes the run fail (exit status 1).
RUN_FAILING = frozenset({FAILED, PRECONDITION_FAILED, UNEXPECTED_PASS})

# Kinds of test.
VECTOR = "vector"
BEHAVIOUR = "behaviour"


class CheckFailed(Exception):
    """The adapter answered, but not as the spec requires."""

    def __init__(
        self, reason: str, request: Any = None, expected: Any = None, actual: Any = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request
        self.expected = expected
        self.actual = actual


class PreconditionFailed(Exception):
    """A test could not run because an answer it builds on was unusable."""


@dataclass(frozen=True, slots=True)
class InteropTest:
    """One graded test: an id, its topic and rules, the ops it drives, and how to run it.

    A test with ``not_applicable`` set has no op to drive and is reported, not run.
    """

    id: str
    topic: str
    rules: tuple[str, ...]
    ops: frozenset[str]
    run: Callable[[Context], None] | None
    kind: str = BEHAVIOUR
    comment: str = ""
    tc_id: int | None = None
    source: str | None = None
    group_type: str | None = None
    not_applicable: str | None = None


@dataclass(frozen=True, slots=True)
class TestResult:
    """A test's verdict, with what went wrong when it did not pass."""

    test: InteropTest
    verdict: str
    reason: str = ""
    request: Any = None
    expected: Any = None
    actual: Any = None
    exchanges: tuple[dict[str, Any], ...] = field(default=())

    __test__ = False  # not a pytest test class


def behaviour(
    test_id: str, rules: tuple[str, ...], ops: tuple[str, ...], comment: str
) -> Callable[[Callable[[Context], None]], InteropTest]:
    """Turn a test function into a behavioural InteropTest; the topic is the id's first part."""

    def wrap(run: Callable[[Context], None]) -> InteropTest:
        return InteropTest(
            id=test_id,
            topic=test_id.split("/", 1)[0],
            rules=rules,
            ops=frozenset(ops),
            run=run,
            kind=BEHAVIOUR,
            comment=comment,
        )

    return wrap
