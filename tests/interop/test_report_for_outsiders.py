"""The suite's output as a first-time implementer reads it, and JUnit XML for CI systems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from bluezone.interop_tests import main
from bluezone.interop_tests.replay import plan
from bluezone.interop_tests.vectors import VectorCase
from tests.interop.conftest import REFERENCE, fake, python_module

ONLY = ["--only", "key-schedule,advertisement"]


def test_the_text_names_unsupported_ops_once_and_folds_their_rows(capsys):
    assert main(["--adapter", fake("keys-only"), *ONLY]) == 0
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("unsupported ops")]
    assert len(header) == 1
    for op in ("aem_encrypt", "aem_decrypt", "advertisement_encode", "advertisement_decode"):
        assert op in header[0]
    assert out.index("unsupported ops") < out.index("topic ")
    table = out[out.index("topic ") : out.index("(a test counts")]
    lines = table.splitlines()[2:]
    rows = [line.split() for line in lines if line and line[0] != "-" and line[:6] != "tests "]
    # No row left whose tests are all unsupported, but the folded topic's one 'all' row.
    for row in rows:
        if row[1] != "all":
            assert int(row[2]) + int(row[3]) + int(row[8]) > 0, row
    assert rows[[r[0] for r in rows].index("advertisement")][:2] == ["advertisement", "all"]
    assert "rows not shown: " in out and ", advertisement)" in out


def test_the_totals_count_each_test_once(tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main(["--adapter", REFERENCE, *ONLY, "--report", str(report)]) == 0
    out = capsys.readouterr().out
    total = len(json.loads(report.read_text())["tests"])
    line = next(line for line in out.splitlines() if line.startswith("tests "))
    assert sum(int(n) for n in line.split()[1:]) == total
    key_schedule = next(
        line.split() for line in out.splitlines() if line.startswith("key-schedule    all")
    )
    tests = json.loads(report.read_text())["tests"]
    assert sum(int(n) for n in key_schedule[2:]) == sum(t["topic"] == "key-schedule" for t in tests)


def test_failures_link_each_rule_id_to_its_spec_file(capsys):
    adapter = python_module("bluezone.interop_tests.mutants.match_tolerance_13")
    assert main(["--adapter", adapter, "--only", "matching"]) == 1
    out = capsys.readouterr().out
    assert "[MATCH-3 (spec/03-matching.md#MATCH-3)]" in out
    assert "rule ids are defined in: " in out and "MATCH spec/03-matching.md" in out


def test_a_placeholder_param_is_named_as_one():
    case = VectorCase(
        "key-schedule.json",
        "key-schedule",
        "AemEncryption",
        7,
        "metadata of 3 octets",
        ("KS-8",),
        (),
        {"tek": "00" * 16, "interval": 1, "metadata": "000000"},
        {"error": "invalid_metadata"},
        "invalid",
    )
    (step,) = plan(case)
    assert step.params["rpi"] == "00" * 16
    assert "placeholder" in step.note and "the case gives none" in step.note


def test_junit_xml_for_ci(tmp_path, capsys):
    path = tmp_path / "suite.xml"
    adapter = python_module("bluezone.interop_tests.mutants.match_tolerance_13")
    assert main(["--adapter", adapter, "--only", "matching", "--junit-xml", str(path)]) == 1
    root = ElementTree.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert {"adapter", "matching"} <= set(suites)
    cases = list(root.iter("testcase"))
    assert int(root.get("tests")) == len(cases)
    failed = [case for case in cases if case.find("failure") is not None]
    assert int(root.get("failures")) == len(failed) > 0
    names = {case.get("name") for case in failed}
    assert "matching/tolerance+13" in names
    failure = next(c for c in failed if c.get("name") == "matching/tolerance+13").find("failure")
    assert "MATCH-3" in failure.get("message")
    capsys.readouterr()
    assert main(["--adapter", fake("keys-only"), *ONLY, "--junit-xml", str(path)]) == 0
    cases = ElementTree.parse(path).getroot().iter("testcase")
    skipped = [c for c in cases if c.find("skipped") is not None]
    messages = [c.find("skipped").get("message") for c in skipped]
    assert any(m.startswith("unsupported") for m in messages)
    assert all(m.startswith(("unsupported", "not_applicable")) for m in messages)
