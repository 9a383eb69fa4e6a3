"""Load the JSON test vectors of spec/vectors/ as pytest parameters."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "spec" / "vectors"


@cache
def load(name: str) -> dict:
    """Return one vector file, parsed."""
    return json.loads((VECTORS / name).read_text())


def group_types(name: str) -> set[str]:
    """Return the group types a vector file holds."""
    return {group["type"] for group in load(name)["testGroups"]}


def cases(name: str, group_type: str) -> list:
    """Return the tests of every group of ``group_type`` in a file, as pytest params."""
    params = [
        pytest.param(test, id=f"{name.removesuffix('.json')}-{test['tcId']}")
        for group in load(name)["testGroups"]
        if group["type"] == group_type
        for test in group["tests"]
    ]
    assert params, f"{name} has no {group_type} tests"
    return params
