"""The whole suite against the adapters we ship: both must pass every supported test.

Runs against spec/vectors (the default directory), over stdin/stdout and over TCP.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from interop_tests import main
from interop_tests.replay import GROUP_OPS, LIBRARY_LEVEL
from interop_tests.vectors import default_vectors_dir, load_vectors
from tests.interop.conftest import NODE, NODE_ADAPTER, REFERENCE, listening

CASES = load_vectors(default_vectors_dir())
ADAPTERS = {"reference": REFERENCE, "node": NODE}
LISTENERS = {
    "reference": [sys.executable, "-m", "interop_tests.reference_adapter"],
    "node": ["node", str(NODE_ADAPTER)],
}


def run_report(adapter: str, tmp_path: Path) -> dict:
    report = tmp_path / "report.json"
    assert main(["--adapter", adapter, "--report", str(report)]) == 0
    return json.loads(report.read_text())


def check_report(report: dict, implementation: str) -> None:
    assert report["implementation"] == implementation
    assert report["passed"] is True
    assert set(report["summary"]) == {"passed", "not_applicable"}
    replayed = {(t["source"], t["tcId"]) for t in report["tests"] if t["kind"] == "vector"}
    assert replayed == {(case.source, case.tc_id) for case in CASES}
    skipped = {t["group"] for t in report["tests"] if t["verdict"] == "not_applicable"}
    assert skipped == {case.group_type for case in CASES} - set(GROUP_OPS)
    assert skipped >= set(LIBRARY_LEVEL) & {case.group_type for case in CASES}


@pytest.mark.parametrize("name", ADAPTERS)
def test_the_whole_suite_passes(name, tmp_path):
    implementation = {"reference": "bluezone-reference", "node": "bluezone-node-example"}[name]
    check_report(run_report(ADAPTERS[name], tmp_path), implementation)


@pytest.mark.parametrize("name", LISTENERS)
def test_the_whole_suite_passes_over_tcp(name, tmp_path):
    with listening(LISTENERS[name]) as port:
        report = run_report(f"tcp:127.0.0.1:{port}", tmp_path)
    assert report["passed"] is True
    assert report["adapter"] == f"tcp:127.0.0.1:{port}"
