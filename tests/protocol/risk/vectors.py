"""Loader of the risk vector files: every test case as a pytest parameter."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[3] / "spec" / "vectors"


def load(name: str) -> dict[str, Any]:
    """A vector file, decoded with exact decimals (as the spec's arithmetic expects)."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"), parse_float=Decimal)


def cases(name: str) -> list[Any]:
    """One pytest parameter per test, named by file and tcId."""
    data = load(name)
    params = []
    for group in data["testGroups"]:
        for test in group["tests"]:
            params.append(pytest.param(group, test, id=f"{name}:{test['tcId']}"))
    return params
