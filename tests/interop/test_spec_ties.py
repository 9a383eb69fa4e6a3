"""The suite, its spec section and its guide agree: rule numbering, ops, group types, tests.

That every rule id cited anywhere exists is checked for the whole tree by
tests/docs/test_traceability.py.
"""

from __future__ import annotations

import re

import pytest

from bluezone.interop_tests.behaviour import behaviour_tests, gate_tests
from bluezone.interop_tests.checks import RESULT_FIELDS
from bluezone.interop_tests.log_checks import LOG_OPS
from bluezone.interop_tests.replay import GROUP_OPS, LIBRARY_LEVEL
from bluezone.interop_tests.risk_checks import RISK_OPS
from tests.interop.conftest import ROOT

SPEC = ROOT / "spec"
SECTION = (SPEC / "90-interop-adapter.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "interop" / "writing-an-adapter.md").read_text(encoding="utf-8")
ANCHOR = re.compile(r'<a id="([A-Z][A-Z0-9]*-[0-9]+)"></a>\*\*([A-Z][A-Z0-9]*-[0-9]+)\*\*')


def test_iop_rules_are_numbered_without_gaps():
    anchors = ANCHOR.findall(SECTION)
    assert all(anchor == bold for anchor, bold in anchors)
    ids = [anchor for anchor, _ in anchors]
    assert all(rule.startswith("IOP-") for rule in ids)
    numbers = sorted(int(rule.removeprefix("IOP-")) for rule in ids)
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 20


def test_every_group_type_has_a_row_in_the_mapping_table():
    for group in [*GROUP_OPS, *LIBRARY_LEVEL]:
        assert f"`{group}`" in SECTION, group


@pytest.mark.parametrize("op", ["hello", *RESULT_FIELDS, *sorted(RISK_OPS), *sorted(LOG_OPS)])
def test_every_op_is_specified_and_documented(op: str):
    assert re.search(rf"`{op}( \{{[a-z0-9_, ]+\}})?`", SECTION), op
    assert f"`{op}`" in GUIDE, op


def test_every_behavioural_test_is_listed_in_the_spec():
    for test in [*gate_tests(), *behaviour_tests()]:
        name = test.id.split("/", 1)[1]
        assert f"`{test.id}`" in SECTION or f"`{name}`" in SECTION, test.id
