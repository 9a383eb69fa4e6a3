"""The command line: exit status, JSON report, transcript, --only, expected failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluezone.interop_tests import main
from bluezone.interop_tests.cli import EXIT_FAILED, EXIT_PASSED, EXIT_USAGE
from tests.interop.conftest import FIXTURE_VECTORS, REFERENCE, fake, python_module

TOLERANCE_13 = python_module("bluezone.interop_tests.mutants.match_tolerance_13")


def run(adapter: str, *args: str) -> int:
    return main(["--adapter", adapter, "--vectors", str(FIXTURE_VECTORS), *args])


def report_of(tmp_path: Path, adapter: str, *args: str) -> tuple[int, dict]:
    path = tmp_path / "report.json"
    status = run(adapter, "--report", str(path), *args)
    return status, json.loads(path.read_text())


def test_a_passing_run_exits_0_and_reports_every_test(tmp_path, capsys):
    status, report = report_of(tmp_path, REFERENCE, "--only", "advertisement")
    assert status == EXIT_PASSED
    assert report["schema"] == "bluezone-interop-report/1"
    assert report["implementation"] == "bluezone-reference"
    assert report["passed"] is True
    assert report["summary"] == {"passed": len(report["tests"])}
    vector = next(t for t in report["tests"] if t["kind"] == "vector")
    assert vector["tcId"] is not None and vector["rules"] and vector["source"]
    assert "request" not in vector
    out = capsys.readouterr().out
    assert "advertisement   ADV-11" in out
    assert "result: PASSED" in out


def test_a_failing_run_exits_1_and_reports_request_expected_actual(tmp_path, capsys):
    status, report = report_of(tmp_path, TOLERANCE_13, "--only", "matching")
    assert status == EXIT_FAILED
    failed = [t for t in report["tests"] if t["verdict"] == "failed"]
    assert {t["id"] for t in failed} >= {"matching/tolerance+13", "matching/tolerance-13"}
    for entry in failed:
        assert entry["request"]["op"] == "match"
        assert entry["expected"] != entry["actual"]
        assert entry["exchanges"]
    assert "FAILED matching/tolerance+13 [MATCH-3]" in capsys.readouterr().out


def test_library_level_groups_are_listed_not_applicable(tmp_path, capsys):
    status, report = report_of(tmp_path, REFERENCE, "--only", "key-schedule,matching")
    assert status == EXIT_PASSED
    groups = {entry["group"] for entry in report["not_applicable"]}
    assert groups == {"Embargo"}
    assert "not applicable" in capsys.readouterr().out


def test_expected_failures_turn_known_failures_into_a_pass(tmp_path):
    _, report = report_of(tmp_path, TOLERANCE_13, "--only", "matching")
    failing = [t["id"] for t in report["tests"] if t["verdict"] == "failed"]
    known = tmp_path / "known.json"
    entries = [{"test": test_id, "reason": "tolerance bug, issue 13"} for test_id in failing]
    known.write_text(json.dumps({"implementation": "x", "expected_failures": entries}))
    status, report = report_of(
        tmp_path, TOLERANCE_13, "--only", "matching", "--expected-failures", str(known)
    )
    assert status == EXIT_PASSED
    assert {t["verdict"] for t in report["tests"] if t["id"] in failing} == {"expected_failure"}


def test_an_unexpected_pass_fails_the_run(tmp_path):
    known = tmp_path / "known.json"
    entry = {"test": "matching/tolerance+12", "reason": "we thought this was broken"}
    known.write_text(json.dumps({"expected_failures": [entry]}))
    status, report = report_of(
        tmp_path, REFERENCE, "--only", "matching", "--expected-failures", str(known)
    )
    assert status == EXIT_FAILED
    verdict = next(t for t in report["tests"] if t["id"] == "matching/tolerance+12")
    assert verdict["verdict"] == "unexpected_pass"


@pytest.mark.parametrize(
    "content",
    [
        {"expected_failures": [{"test": "matching/tolerance+12"}]},
        {"expected_failures": [{"test": "matching/tolerance+12", "reason": " "}]},
        {"expected_failures": "matching/tolerance+12"},
        [],
    ],
)
def test_an_expected_failure_without_a_reason_is_a_usage_error(tmp_path, content):
    known = tmp_path / "known.json"
    known.write_text(json.dumps(content))
    assert run(REFERENCE, "--expected-failures", str(known)) == EXIT_USAGE


def test_the_transcript_holds_requests_answers_and_stderr(tmp_path):
    transcript = tmp_path / "transcript.jsonl"
    options = ("--only", "key-schedule", "--max-restarts", "1", "--transcript", str(transcript))
    status = run(fake("exit-on-rpi"), *options)
    assert status == EXIT_FAILED
    entries = [json.loads(line) for line in transcript.read_text().splitlines()]
    kinds = {entry["kind"] for entry in entries}
    assert kinds >= {"send", "recv", "stderr", "event", "test"}
    assert any("exiting on purpose" in e["text"] for e in entries if e["kind"] == "stderr")


def test_an_unknown_topic_is_a_usage_error(capsys):
    assert run(REFERENCE, "--only", "no-such-topic") == EXIT_USAGE
    assert "topics: adapter, key-schedule" in capsys.readouterr().err


def test_a_missing_vector_directory_is_a_usage_error(tmp_path):
    status = main(["--adapter", REFERENCE, "--vectors", str(tmp_path / "none")])
    assert status == EXIT_USAGE


def test_list_prints_the_selected_tests_without_running_them(capsys):
    assert run("no-such-command", "--list", "--only", "matching") == EXIT_PASSED
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed[:2] == ["adapter/mandatory-ops", "adapter/unknown-op"]
    assert "matching/tolerance+13" in listed


def test_an_adapter_that_cannot_start_fails_the_run(tmp_path):
    status, report = report_of(tmp_path, "no-such-adapter-command-here", "--only", "matching")
    assert status == EXIT_FAILED
    assert report["tests"][0]["id"] == "adapter/hello"
    assert report["tests"][0]["verdict"] == "failed"
