"""Every rule id the node's code and tests cite is a rule of the spec."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = re.compile(r'<a id="([A-Z][A-Z0-9]*-[0-9]+)"></a>')
RULE = re.compile(r"\b(?:CONV|KS|ADV|MATCH|EXP|LOG|RISK|IOP|BZ20)-[0-9]+\b")
SOURCES = sorted(
    [
        *(ROOT / "reference_node").glob("*.py"),
        *(ROOT / "reference_node" / "store").glob("*.py"),
        *(ROOT / "tests" / "reference_node" / "node").glob("*.py"),
        *(ROOT / "docs").glob("node.md"),
    ]
)


def anchors() -> set[str]:
    return {
        anchor
        for path in (ROOT / "spec").glob("[0-9A-Z][0-9]-*.md")
        for anchor in ANCHOR.findall(path.read_text(encoding="utf-8"))
    }


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_cited_exists(path: Path):
    cited = set(RULE.findall(path.read_text(encoding="utf-8")))
    assert cited <= anchors(), sorted(cited - anchors())
