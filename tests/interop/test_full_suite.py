"""The whole suite against the adapters we ship: both must pass every supported test.

Runs against spec/vectors (the default directory), over stdin/stdout and over TCP.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bluezone.interop_tests import main
from bluezone.interop_tests.replay import GROUP_OPS, LIBRARY_LEVEL
from bluezone.interop_tests.vectors import default_vectors_dir, load_vectors
from tests.interop.conftest import NODE, NODE_ADAPTER, REFERENCE, listening

CASES = load_vectors(default_vectors_dir())
ADAPTERS = {"reference": REFERENCE, "node": NODE}
LISTENERS = {
    "reference": [sys.executable, "-m", "bluezone.interop_tests.reference_adapter"],
    "node": ["node", str(NODE_ADAPTER)],
}


def run_report(adapter: str, tmp_path: Path) -> dict:
    report = tmp_path / "report.json"
    assert main(["--adapter", adapter, "--report", str(report)]) == 0
    return json.loads(report.read_text())


# Ops the Node.js example leaves out (IOP-10): their tests are reported unsupported.
NODE_UNSUPPORTED = frozenset({"score_cwa", "score_v1"}) | frozenset(
    {
        "export_parse",
        "batch_leaf_decode",
        "note_verifier_key",
        "note_signer_key",
        "note_sign",
        "note_verify",
        "checkpoint_verify",
    }
)
IMPLEMENTATIONS = {"reference": "bluezone-reference", "node": "bluezone-node-example"}
UNSUPPORTED = {"reference": frozenset(), "node": NODE_UNSUPPORTED}


def check_report(report: dict, implementation: str, unsupported: frozenset[str]) -> None:
    assert report["implementation"] == implementation
    assert report["passed"] is True
    verdicts = {"passed", "not_applicable"} | ({"unsupported"} if unsupported else set())
    assert set(report["summary"]) == verdicts
    assert not set(report["ops"]) & unsupported
    for test in report["tests"]:
        assert (test["verdict"] == "unsupported") == bool(set(test["ops"]) & unsupported)
    replayed = {(t["source"], t["tcId"]) for t in report["tests"] if t["kind"] == "vector"}
    assert replayed == {(case.source, case.tc_id) for case in CASES}
    skipped = {t["group"] for t in report["tests"] if t["verdict"] == "not_applicable"}
    assert skipped == {case.group_type for case in CASES} - set(GROUP_OPS)
    assert skipped >= set(LIBRARY_LEVEL) & {case.group_type for case in CASES}


@pytest.mark.parametrize("name", ADAPTERS)
def test_the_whole_suite_passes(name, tmp_path):
    check_report(run_report(ADAPTERS[name], tmp_path), IMPLEMENTATIONS[name], UNSUPPORTED[name])


@pytest.mark.parametrize("name", LISTENERS)
def test_the_whole_suite_passes_over_tcp(name, tmp_path):
    with listening(LISTENERS[name]) as port:
        report = run_report(f"tcp:127.0.0.1:{port}", tmp_path)
    assert report["passed"] is True
    assert report["adapter"] == f"tcp:127.0.0.1:{port}"
