"""Load spec/vectors files (bluezone-vectors/1) for the log and export tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

VECTORS_DIR = Path(__file__).resolve().parents[2] / "spec" / "vectors"


@cache
def load(name: str) -> dict[str, Any]:
    """Return a vector file by name, checking its shape and test count."""
    document = json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))
    assert document["schema"] == "bluezone-vectors/1"
    tests = [t for g in document["testGroups"] for t in g["tests"]]
    assert document["numberOfTests"] == len(tests)
    assert len({t["tcId"] for t in tests}) == len(tests)
    return document


def cases(name: str, group_type: str) -> list[Any]:
    """Return pytest params (group, test) for every test in groups of ``group_type``."""
    params = [
        pytest.param(group, test, id=f"tc{test['tcId']}")
        for group in load(name)["testGroups"]
        if group["type"] == group_type
        for test in group["tests"]
    ]
    assert params, f"no {group_type} tests in {name}"
    return params
