"""Running the suite: collect the tests, drive the adapter through them, restart it on failure.

The hello handshake and the gate tests run first; then each selected topic's vector cases
and behavioural tests. A test whose op the adapter does not list is ``unsupported``; a
framing failure (timeout, exit, malformed or misplaced answer) fails the test and the
adapter is restarted before the next one, up to ``max_restarts`` times (IOP-18, IOP-23).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bluezone.interop_tests.behaviour import behaviour_tests, gate_tests
from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.expected_failures import ExpectedFailures, apply_expected_failures
from bluezone.interop_tests.model import (
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    PRECONDITION_FAILED,
    RUN_FAILING,
    UNSUPPORTED,
    CheckFailed,
    InteropTest,
    PreconditionFailed,
    TestResult,
)
from bluezone.interop_tests.replay import vector_tests
from bluezone.interop_tests.session import AdapterFailure, AdapterSession, Hello, Transcript
from bluezone.interop_tests.transport import TransportStartError, open_transport
from bluezone.interop_tests.vectors import VectorCase

HELLO_TEST = InteropTest(
    id="adapter/hello",
    topic="adapter",
    rules=("IOP-10",),
    ops=frozenset({"hello"}),
    run=None,
    comment="the hello handshake names the implementation, its version and its ops",
)
# Topics in report order; vector files of other topics follow in name order.
TOPIC_ORDER = ("adapter", "key-schedule", "advertisement", "matching")


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    """Everything one run needs; built by the command line or by a caller."""

    adapter: str
    vectors_dir: Path
    topics: frozenset[str] | None = None
    timeout: float = 10.0
    startup_timeout: float = 30.0
    max_restarts: int = 20
    seed: int = 1
    transcript: Path | None = None
    expected_failures: ExpectedFailures | None = None


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """The outcome of one run."""

    config: SuiteConfig
    hello: Hello | None
    results: list[TestResult]
    duration_s: float
    restarts: int

    @property
    def passed(self) -> bool:
        """True when no test failed, failed a precondition or passed unexpectedly (IOP-23)."""
        return not any(result.verdict in RUN_FAILING for result in self.results)


def all_tests(cases: Iterable[VectorCase]) -> list[InteropTest]:
    """Every test of the suite in run order: the gate, then topic by topic."""
    others = [*vector_tests(cases), *behaviour_tests()]

    def rank(test: InteropTest) -> tuple[int, str]:
        known = test.topic in TOPIC_ORDER
        return (TOPIC_ORDER.index(test.topic) if known else len(TOPIC_ORDER), test.topic)

    return [*gate_tests(), *sorted(others, key=rank)]


def topics_of(tests: Iterable[InteropTest]) -> list[str]:
    """The topics the tests fall into, in run order."""
    return list(dict.fromkeys(test.topic for test in tests))


def select(tests: Sequence[InteropTest], topics: frozenset[str] | None) -> list[InteropTest]:
    """The gate tests and the tests of ``topics`` (all tests when None)."""
    gate = {test.id for test in gate_tests()}
    return [t for t in tests if topics is None or t.id in gate or t.topic in topics]


class _Runner:
    """Drives one adapter through a list of tests, restarting it when it breaks."""

    def __init__(self, session: AdapterSession, config: SuiteConfig) -> None:
        self.session = session
        self.config = config
        self.restarts = 0

    def run(self, tests: Sequence[InteropTest]) -> tuple[Hello | None, list[TestResult]]:
        try:
            hello = self.session.start()
        except AdapterFailure as exc:
            failed = TestResult(
                HELLO_TEST, FAILED, exc.message, exc.request, "a hello result", exc.actual
            )
            reason = "the adapter did not complete the hello handshake (IOP-10)"
            return None, [failed, *(self._without_adapter(test, reason) for test in tests)]
        results = [TestResult(HELLO_TEST, PASSED)]
        results += [self._one(test, hello) for test in tests]
        return hello, results

    @staticmethod
    def _without_adapter(test: InteropTest, reason: str) -> TestResult:
        if test.not_applicable:
            return TestResult(test, NOT_APPLICABLE, test.not_applicable)
        return TestResult(test, PRECONDITION_FAILED, reason)

    def _one(self, test: InteropTest, hello: Hello) -> TestResult:
        if test.not_applicable or test.run is None:
            return TestResult(test, NOT_APPLICABLE, test.not_applicable or "")
        missing = sorted(test.ops - hello.ops)
        if missing:
            return TestResult(test, UNSUPPORTED, f"hello does not list {', '.join(missing)}")
        problem = self._ensure_running()
        if problem:
            return TestResult(test, PRECONDITION_FAILED, problem)
        session = self.session
        session.exchanges = []
        session.transcript.log("test", test.id)
        ctx = Context(session, hello, random.Random(f"{self.config.seed}/{test.id}"))
        try:
            test.run(ctx)
        except CheckFailed as exc:
            return self._failed(test, exc.reason, exc.request, exc.expected, exc.actual)
        except AdapterFailure as exc:
            return self._failed(test, exc.message, exc.request, exc.expected, exc.actual)
        except PreconditionFailed as exc:
            return TestResult(test, PRECONDITION_FAILED, str(exc), exchanges=self._exchanges())
        return TestResult(test, PASSED)

    def _failed(self, test: InteropTest, reason: str, *details: object) -> TestResult:
        request, expected, actual = details
        return TestResult(test, FAILED, reason, request, expected, actual, self._exchanges())

    def _exchanges(self) -> tuple[dict, ...]:
        return tuple(self.session.exchanges)

    def _ensure_running(self) -> str | None:
        """Restart a broken adapter; say why the next test cannot run if that fails."""
        if not self.session.broken:
            return None
        if self.restarts >= self.config.max_restarts:
            return f"the adapter broke after {self.restarts} restarts; the suite gave up on it"
        self.restarts += 1
        try:
            self.session.restart()
        except AdapterFailure as exc:
            return f"the adapter could not be restarted: {exc.message}"
        return None


def run_suite(config: SuiteConfig, tests: Sequence[InteropTest]) -> SuiteRun:
    """Run ``tests`` against the adapter ``config`` names; never raises for adapter faults."""
    transcript = Transcript(config.transcript)
    started = time.monotonic()
    try:
        try:
            transport = open_transport(config.adapter, transcript.log)
        except TransportStartError as exc:
            failed = TestResult(HELLO_TEST, FAILED, str(exc))
            reason = "the adapter could not be started"
            results = [failed, *(_Runner._without_adapter(t, reason) for t in tests)]
            return SuiteRun(config, None, _finish(results, config), 0.0, 0)
        session = AdapterSession(transport, config.timeout, config.startup_timeout, transcript)
        runner = _Runner(session, config)
        try:
            hello, results = runner.run(tests)
        finally:
            session.close()
        duration = time.monotonic() - started
        return SuiteRun(config, hello, _finish(results, config), duration, runner.restarts)
    finally:
        transcript.close()


def _finish(results: list[TestResult], config: SuiteConfig) -> list[TestResult]:
    if config.expected_failures is None:
        return results
    return apply_expected_failures(results, config.expected_failures)
