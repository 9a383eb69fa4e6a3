"""CWA risk calculation replayed from spec/vectors/risk-cwa.json (RISK-30..RISK-38)."""

from __future__ import annotations

from typing import Any

import pytest

from bluezone.interop_tests.reference_adapter import score_cwa
from bluezone.protocol.errors import ProtocolError
from tests.protocol.risk.vectors import cases, load


@pytest.mark.parametrize(("group", "test"), cases("risk-cwa.json"))
def test_cwa_vector(group: dict[str, Any], test: dict[str, Any]) -> None:
    inputs = test["inputs"]
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as caught:
            score_cwa(inputs)
        assert caught.value.code == test["expected"]["error"]
    else:
        assert score_cwa(inputs) == test["expected"]


def test_file_holds_every_cwa_case() -> None:
    data = load("risk-cwa.json")
    tests = [t for g in data["testGroups"] for t in g["tests"]]
    assert data["numberOfTests"] == len(tests) == len({t["tcId"] for t in tests})
    android = [t for t in tests if "cwa_android" in t["flags"]]
    ios = [t for t in tests if "cwa_ios" in t["flags"]]
    assert (len(android), len(ios)) == (29, 28)
