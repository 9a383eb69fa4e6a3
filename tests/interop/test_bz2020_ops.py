"""The Bluezone 2020 profile ops (spec IOP-42, IOP-43) through both shipped adapters.

Both list the ops in hello and pass every replayed vector (every captured own-BLID among
them) and every behavioural test of the topic; the F0 check is library-level (IOP-21).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluezone.interop_tests import main
from tests.interop.conftest import NODE, REFERENCE

OPS = {"bz2020_blid", "bz2020_advertisement_decode"}


@pytest.mark.parametrize("adapter", [REFERENCE, NODE], ids=["reference", "node"])
def test_both_adapters_pass_the_bluezone_2020_topic(adapter: str, tmp_path: Path):
    report_path = tmp_path / "report.json"
    assert (
        main(["--adapter", adapter, "--only", "bluezone-2020", "--report", str(report_path)]) == 0
    )
    report = json.loads(report_path.read_text())
    assert set(report["ops"]) >= OPS
    topic = [t for t in report["tests"] if t["topic"] == "bluezone-2020"]
    verdicts = {(t["group"] or t["id"]): set() for t in topic}
    for test in topic:
        verdicts[test["group"] or test["id"]].add(test["verdict"])
    assert verdicts["Bz2020Blid"] == {"passed"}
    assert verdicts["Bz2020AdvertisementDecode"] == {"passed"}
    assert verdicts["Bz2020Match"] == {"not_applicable"}
    behaviour = {t["id"] for t in topic if t["kind"] == "behaviour"}
    assert behaviour == {
        "bluezone-2020/slot-boundaries",
        "bluezone-2020/daily-chain",
        "bluezone-2020/advertisement-hostile",
    }
    assert all(t["verdict"] == "passed" for t in topic if t["kind"] == "behaviour")
    # 124 captured own BLIDs plus the derived and generated cases, one test each.
    assert len([t for t in topic if t["group"] == "Bz2020Blid"]) > 124
