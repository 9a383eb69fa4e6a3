"""GAEN v1 and v2 scorers replayed from spec/vectors/risk-v1.json and risk-v2.json."""

from __future__ import annotations

from typing import Any

import pytest

from bluezone.interop_tests.reference_adapter import score_v1, score_v2
from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.risk_profiles import profile_json
from tests.protocol.risk.vectors import cases, load


def _json_equal(actual: Any, expected: Any) -> bool:
    """Equality where the vector's decimals (Decimal) meet the library's floats exactly."""
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_json_equal(actual[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_json_equal(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if expected is None or isinstance(expected, bool | str):
        return actual == expected
    return float(actual) == float(expected)


@pytest.mark.parametrize(("group", "test"), cases("risk-v2.json"))
def test_v2_vector(group: dict[str, Any], test: dict[str, Any]) -> None:
    inputs = test["inputs"]
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as caught:
            score_v2(inputs)
        assert caught.value.code == test["expected"]["error"]
    else:
        assert _json_equal(score_v2(inputs), test["expected"])


@pytest.mark.parametrize(("group", "test"), cases("risk-v1.json"))
def test_v1_vector(group: dict[str, Any], test: dict[str, Any]) -> None:
    inputs = test["inputs"]
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as caught:
            score_v1(inputs)
        assert caught.value.code == test["expected"]["error"]
    else:
        assert _json_equal(score_v1(inputs), test["expected"])


@pytest.mark.parametrize("profile", ["enx", "lfph-narrower-net-1.0"])
def test_profile_vectors_use_the_shipped_profile(profile: str) -> None:
    shipped = profile_json(profile)["daily_summaries_config"]
    flag = profile.replace("-", "_").replace(".", "_")
    flagged = [
        t for g in load("risk-v2.json")["testGroups"] for t in g["tests"] if flag in t["flags"]
    ]
    assert flagged
    assert all(t["inputs"]["config"] == shipped for t in flagged)
