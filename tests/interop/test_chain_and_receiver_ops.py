"""The chain ops (spec IOP-44..IOP-47) and the receiver ops (IOP-48..IOP-51), both adapters.

Both shipped adapters list the ops in hello and pass every replayed vector and behavioural
test of their topics: the keys a recursive upload keeps (IOP-44), revised keys resolved
across batches (IOP-45), levels and their changes (IOP-46, IOP-47), interval numbers
(IOP-48), metadata decoding (IOP-49), the exposure check of a day (IOP-50) and exposure
windows from scans (IOP-51).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluezone.interop_tests import main
from tests.interop.conftest import NODE, REFERENCE

TOPICS = {
    "recursive": {"recursive_keys", "resolve_keys", "exposure_level", "level_change"},
    "receiver": {"interval_number", "metadata_decode", "check_exposures", "exposure_windows"},
}


@pytest.mark.parametrize("adapter", [REFERENCE, NODE], ids=["reference", "node"])
@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_both_adapters_pass_the_topic(adapter: str, topic: str, tmp_path: Path):
    report_path = tmp_path / "report.json"
    assert main(["--adapter", adapter, "--only", topic, "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert set(report["ops"]) >= TOPICS[topic]
    tests = [t for t in report["tests"] if t["topic"] == topic]
    assert tests, f"no test of topic {topic}"
    assert {t["verdict"] for t in tests} <= {"passed", "not_applicable"}
    assert any(t["verdict"] == "passed" for t in tests)
