"""GAEN v1 and v2 scorers replayed from spec/vectors/risk-v1.json and risk-v2.json."""

from __future__ import annotations

from typing import Any

import pytest

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.api import score_v1_json, score_v2_json
from bluezone.protocol.risk.resources import enx_defaults_json
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
    args = (inputs["config"], inputs["windows"], inputs.get("today"))
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as caught:
            score_v2_json(*args)
        assert caught.value.code == test["expected"]["error"]
    else:
        assert _json_equal(score_v2_json(*args), test["expected"])


@pytest.mark.parametrize(("group", "test"), cases("risk-v1.json"))
def test_v1_vector(group: dict[str, Any], test: dict[str, Any]) -> None:
    inputs = test["inputs"]
    args = (inputs["config"], inputs["windows"], inputs["today"])
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as caught:
            score_v1_json(*args)
        assert caught.value.code == test["expected"]["error"]
    else:
        assert _json_equal(score_v1_json(*args), test["expected"])


def test_enx_vectors_use_the_shipped_defaults() -> None:
    shipped = enx_defaults_json()["daily_summaries_config"]
    enx_tests = [
        t
        for g in load("risk-v2.json")["testGroups"]
        for t in g["tests"]
        if "enx_defaults" in t["flags"]
    ]
    assert enx_tests
    assert all(t["inputs"]["config"] == shipped for t in enx_tests)
