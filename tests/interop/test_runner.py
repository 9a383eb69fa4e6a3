"""The runner: verdicts, restarts after failures, unsupported and mandatory ops (IOP-18, IOP-23)."""

from __future__ import annotations

from bluezone.interop_tests.model import (
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    PRECONDITION_FAILED,
    UNSUPPORTED,
    InteropTest,
)
from bluezone.interop_tests.runner import SuiteConfig, SuiteRun, all_tests, run_suite, select
from bluezone.interop_tests.vectors import load_vectors
from tests.interop.conftest import FIXTURE_VECTORS, fake, python_module

TESTS = {test.id: test for test in all_tests(load_vectors(FIXTURE_VECTORS))}


def run(adapter: str, ids: list[str], **options: object) -> SuiteRun:
    config = SuiteConfig(adapter=adapter, vectors_dir=FIXTURE_VECTORS, **options)  # type: ignore[arg-type]
    return run_suite(config, [TESTS[test_id] for test_id in ids])


def verdicts(outcome: SuiteRun) -> list[tuple[str, str]]:
    return [(result.test.id, result.verdict) for result in outcome.results]


ALTERNATING = [
    "key-schedule/tc4/rpi",
    "key-schedule/tc1/derive_keys",
    "key-schedule/tc5/rpi",
    "key-schedule/tc2/derive_keys",
]


def test_a_crash_fails_the_test_and_the_adapter_is_restarted():
    outcome = run(fake("exit-on-rpi"), ALTERNATING, max_restarts=1)
    assert verdicts(outcome) == [
        ("adapter/hello", PASSED),
        ("key-schedule/tc4/rpi", FAILED),
        ("key-schedule/tc1/derive_keys", PASSED),
        ("key-schedule/tc5/rpi", FAILED),
        ("key-schedule/tc2/derive_keys", PRECONDITION_FAILED),
    ]
    assert outcome.restarts == 1
    assert "gave up" in outcome.results[-1].reason
    assert not outcome.passed


def test_a_hang_fails_the_test_and_later_tests_still_run():
    outcome = run(fake("hang-on-rpi"), ALTERNATING[:2], timeout=1.0)
    assert verdicts(outcome)[1:] == [
        ("key-schedule/tc4/rpi", FAILED),
        ("key-schedule/tc1/derive_keys", PASSED),
    ]
    failed = outcome.results[1]
    assert "no answer within" in failed.reason
    assert failed.request["op"] == "rpi"


def test_an_answer_out_of_step_fails_the_test_and_resynchronises():
    outcome = run(fake("wrong-id"), ALTERNATING[:2])
    assert verdicts(outcome)[1:] == [
        ("key-schedule/tc4/rpi", FAILED),
        ("key-schedule/tc1/derive_keys", PASSED),
    ]
    assert "out of step" in outcome.results[1].reason


def test_a_stale_answer_is_blamed_on_the_test_that_reads_it_then_cleared():
    outcome = run(fake("double-answer"), [*ALTERNATING[:2], "key-schedule/tc3/derive_keys"])
    assert verdicts(outcome)[1:] == [
        ("key-schedule/tc4/rpi", PASSED),
        ("key-schedule/tc1/derive_keys", FAILED),
        ("key-schedule/tc3/derive_keys", PASSED),
    ]


def test_no_hello_fails_the_run_and_every_test_is_a_failed_precondition():
    ids = ["key-schedule/tc1/derive_keys", "matching/tc6"]
    outcome = run(fake("no-hello"), ids)
    assert verdicts(outcome) == [
        ("adapter/hello", FAILED),
        ("key-schedule/tc1/derive_keys", PRECONDITION_FAILED),
        ("matching/tc6", NOT_APPLICABLE),
    ]


def test_ops_the_adapter_does_not_list_are_unsupported_and_do_not_fail_the_run():
    tests = select(list(TESTS.values()), frozenset({"key-schedule", "advertisement"}))
    config = SuiteConfig(adapter=fake("keys-only"), vectors_dir=FIXTURE_VECTORS)
    outcome = run_suite(config, tests)
    by_verdict: dict[str, set[str]] = {}
    for result in outcome.results:
        by_verdict.setdefault(result.verdict, set()).update(result.test.ops)
    assert by_verdict[UNSUPPORTED] == {
        "aem_encrypt",
        "aem_decrypt",
        "advertisement_encode",
        "advertisement_decode",
        "interval_number",
    }
    assert FAILED not in by_verdict
    assert outcome.passed


def test_a_missing_mandatory_op_fails_the_run():
    tests = select(list(TESTS.values()), frozenset({"key-schedule"}))
    outcome = run_suite(SuiteConfig(adapter=fake("no-rpi"), vectors_dir=FIXTURE_VECTORS), tests)
    results = {result.test.id: result for result in outcome.results}
    assert results["adapter/mandatory-ops"].verdict == FAILED
    assert "rpi" in results["adapter/mandatory-ops"].reason
    assert results["key-schedule/tc4/rpi"].verdict == UNSUPPORTED
    assert not outcome.passed


def test_the_gate_runs_first_whatever_the_topics():
    selected = select(all_tests(load_vectors(FIXTURE_VECTORS)), frozenset({"matching"}))
    assert [t.id for t in selected[:2]] == ["adapter/mandatory-ops", "adapter/unknown-op"]
    assert {t.topic for t in selected[2:]} == {"matching"}


def test_every_test_id_is_unique():
    tests = all_tests(load_vectors(FIXTURE_VECTORS))
    assert len({test.id for test in tests}) == len(tests)


def test_behavioural_tests_cite_rules_and_ops():
    behaviours = [t for t in TESTS.values() if t.kind == "behaviour"]
    assert len(behaviours) >= 30
    for test in behaviours:
        assert isinstance(test, InteropTest)
        assert test.rules and test.ops and test.comment, test.id


def test_a_desynchronised_adapter_fails_the_framing_tests_only():
    tests = select(list(TESTS.values()), frozenset({"adapter", "key-schedule"}))
    adapter = python_module("bluezone.interop_tests.mutants.desync_on_unparseable")
    outcome = run_suite(SuiteConfig(adapter=adapter, vectors_dir=FIXTURE_VECTORS), tests)
    failed = {r.test.id for r in outcome.results if r.verdict == FAILED}
    assert "adapter/unparseable-json" in failed
    assert {test_id.split("/")[0] for test_id in failed} == {"adapter"}
    assert all(
        r.verdict == PASSED
        for r in outcome.results
        if r.test.topic == "key-schedule" and r.verdict != NOT_APPLICABLE
    )
