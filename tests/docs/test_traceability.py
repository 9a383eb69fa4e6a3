"""Every rule id that code, vectors, tests or docs cite is defined by the spec, once.

The first tests check the repository as it is; they keep working as sections are added,
because the rules and their prefixes are read from whatever spec/*.md holds. The others check
the scanner itself (docs/tools/traceability.py) on small made-up trees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from traceability import collect, compact_ranges, references

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trace():
    return collect(ROOT)


def test_the_spec_defines_rules(trace):
    assert trace.rules, "no rule anchors found in spec/*.md"
    assert {"CONV", "KS", "ADV", "MATCH"} <= {rule.rsplit("-", 1)[0] for rule in trace.rules}


def test_every_cited_id_is_defined(trace):
    undefined = trace.undefined()
    assert not undefined, "\n".join(f"{i}: {', '.join(where)}" for i, where in undefined.items())


def test_no_rule_is_defined_twice(trace):
    assert not trace.duplicates, [f"{r.id} at {r.path}:{r.line}" for r in trace.duplicates]


def test_vector_spec_fields_hold_rule_ids(trace):
    assert not trace.malformed, trace.malformed


def test_code_and_vectors_cite_rules(trace):
    assert trace.code and trace.vectors


# A ratchet: the rules that neither a test cites nor a vector exercises. The set may only
# shrink. A new rule comes with a test citing it or a vector; a rule that gains one leaves
# this list in the same commit. For context, the code review of December 2026 counted 165
# rules: 162 cited by code, 110 by tests, 75 by vectors, and these 26 by neither. CONV-1, 2
# and 4 are conventions of the text; most IOP rules are exercised by
# tests/interop/test_full_suite.py without being cited; RISK-1 and LOG-13 are tested but
# not cited.
UNTESTED = frozenset(
    {
        *("CONV-1", "CONV-2", "CONV-4"),
        *("IOP-1", "IOP-2", "IOP-3", "IOP-9", "IOP-11", "IOP-12", "IOP-13", "IOP-14"),
        *("IOP-15", "IOP-16", "IOP-17", "IOP-19", "IOP-20", "IOP-22", "IOP-24", "IOP-25"),
        "IOP-26",
        "LOG-13",
        "MATCH-10",
        *("RISK-1", "RISK-39"),
    }
)


def untested(trace) -> set[str]:
    """The rules with neither a test citation nor a vector."""
    return set(trace.rules) - {c.id for c in trace.tests} - {v.id for v in trace.vectors}


def test_no_rule_joins_the_untested(trace):
    new = untested(trace) - UNTESTED
    assert not new, f"cite these rules in a test or a vector: {sorted(new)}"


def test_the_untested_list_only_shrinks(trace):
    gone = UNTESTED - untested(trace)
    assert not gone, f"now tested (or removed): delete them from UNTESTED: {sorted(gone)}"


# The scanner, on made-up repositories.


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def vector_file(*specs: list[str]) -> str:
    tests = [{"tcId": n, "spec": spec} for n, spec in enumerate(specs, start=1)]
    return json.dumps({"testGroups": [{"type": "T", "tests": tests}]})


SPEC = """# 1. Things

## 1.1 First

<a id="XA-1"></a>**XA-1** A thing MUST be
one thing.

<a id="XA-2"></a>**XA-2** Another.

Write a rule as `<a id="XA-9"></a>**XA-9**` (an example, not a rule).

```
<a id="XA-8"></a> in a code block is no rule either
```
"""


def test_rules_are_read_from_anchors_with_their_section_and_text(tmp_path):
    trace = collect(write(tmp_path, {"spec/01-things.md": SPEC}))
    assert list(trace.rules) == ["XA-1", "XA-2"]
    first = trace.rules["XA-1"]
    assert (first.path, first.line, first.section, first.heading) == (
        "spec/01-things.md",
        5,
        "1. Things",
        "1.1 First",
    )
    assert first.summary == "A thing MUST be one thing."


def test_known_prefixes_and_spec_marks_are_citations(tmp_path):
    code = (
        "# spec XA-1\n"
        "AES-128 and P-256 are not rules\n"
        "'''Checks XA-2 (see XA-7).'''\n"
        "# spec ZZ-4, XA-1 and XB-2\n"
    )
    trace = collect(write(tmp_path, {"spec/01.md": SPEC, "protocol/mod.py": code}))
    assert [(c.id, c.line) for c in trace.code] == [
        ("XA-1", 1),
        ("XA-2", 3),
        ("XA-7", 3),
        ("ZZ-4", 4),
        ("XA-1", 4),
        ("XB-2", 4),
    ]
    assert trace.undefined() == {
        "XA-7": ["protocol/mod.py:3"],
        "XB-2": ["protocol/mod.py:4"],
        "ZZ-4": ["protocol/mod.py:4"],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MATCH-2..5", ["MATCH-2", "MATCH-3", "MATCH-4", "MATCH-5"]),
        ("ADV-4 to ADV-6", ["ADV-4", "ADV-5", "ADV-6"]),
        ("KS-5..KS-6", ["KS-5", "KS-6"]),
        ("KS-12, KS-1", ["KS-12", "KS-1"]),
        ("KS-1a KS-1-2 xKS-3", []),
        ("KS-9..3", ["KS-9"]),
    ],
)
def test_references_expand_ranges(text, expected):
    assert [rule for rule, _ in references(text, {"KS", "ADV", "MATCH"})] == expected


def test_vectors_tests_and_docs_are_collected(tmp_path):
    root = write(
        tmp_path,
        {
            "spec/01.md": SPEC,
            "spec/vectors/things.json": vector_file(["XA-1"], ["XA-1", "XA-2"], ["XA-1"], ["XC-3"]),
            "tests/test_things.py": "def test_xa_2():  # XA-2\n    load('things.json')\n",
            "tests/docs/test_docs.py": "made-up ids here are not citations: XA-99\n",
            "docs/page.md": "See XA-1 and XA-3.\n",
        },
    )
    trace = collect(root)
    assert [(v.id, v.tc_ids) for v in trace.vectors] == [
        ("XA-1", (1, 2, 3)),
        ("XA-2", (2,)),
        ("XC-3", (4,)),
    ]
    assert [(c.path, c.id) for c in trace.tests] == [("tests/test_things.py", "XA-2")]
    assert [c.id for c in trace.docs] == ["XA-1", "XA-3"]
    assert trace.undefined() == {
        "XA-3": ["docs/page.md:1"],
        "XC-3": ["spec/vectors/things.json tcId 4"],
    }
    assert [r.id for r in trace.uncited_by_code()] == ["XA-1", "XA-2"]
    assert trace.vector_readers == {"spec/vectors/things.json": ("tests/test_things.py",)}
    assert trace.test_readers_for("XA-1") == {"tests/test_things.py": ["things.json"]}


def test_duplicates_and_malformed_vector_entries_are_reported(tmp_path):
    root = write(
        tmp_path,
        {
            "spec/01.md": SPEC,
            "spec/02.md": '<a id="XA-2"></a>**XA-2** Again.\n',
            "spec/vectors/bad.json": vector_file(["XA1"], ["XA-1"]),
        },
    )
    trace = collect(root)
    assert [(r.id, r.path) for r in trace.duplicates] == [("XA-2", "spec/02.md")]
    assert trace.malformed == ("spec/vectors/bad.json tcId 1: 'XA1'",)


def test_compact_ranges():
    assert compact_ranges([5, 1, 2, 3, 7, 8, 3]) == "1-3, 5, 7-8"
