"""The site's page generators (docs/tools/sitegen.py) and the facts pages state about data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import markdown
import pytest
from sitegen import (
    StrictReferences,
    api_modules,
    expand_nav,
    glob_match,
    link_rules,
    link_rules_html,
    link_targets,
    relative,
    resolve_pending,
    rewrite_links,
    source_view,
    traceability_page,
)
from traceability import Citation, Rule, Traceability, VectorCitation

ROOT = Path(__file__).resolve().parents[2]
RULES = {
    "XA-1": Rule("XA-1", "spec/01-x.md", 3, "1. X", "1.1 Y", "A thing MUST be | one thing."),
    "XA-2": Rule("XA-2", "spec/01-x.md", 5, "1. X", "1.1 Y", "Another (see XA-1)."),
}


@pytest.mark.parametrize(
    ("target", "page", "link"),
    [
        ("spec/01-x.md#XA-1", "spec/01-x.md", "#XA-1"),
        ("spec/01-x.md#XA-1", "spec/02-y.md", "01-x.md#XA-1"),
        ("spec/01-x.md#XA-1", "index.md", "spec/01-x.md#XA-1"),
        ("reference/traceability.md", "spec/01-x.md", "../reference/traceability.md"),
    ],
)
def test_relative_links(target, page, link):
    assert relative(target, page) == link


def test_a_definition_links_to_its_traceability_row():
    text = '<a id="XA-1"></a>**XA-1** A thing MUST be one thing.'
    linked = link_rules(text, "spec/01-x.md", RULES)
    assert linked.startswith('<a id="XA-1"></a>[**XA-1**](../reference/traceability.md#XA-1 ')
    assert linked.endswith("{.rule-id} A thing MUST be one thing.")


def test_mentions_link_to_definitions_outside_code_links_and_headings():
    text = "\n".join(
        [
            "See XA-2 and XA-9, not XA-22.",
            "`XA-1` in code, [XA-1](elsewhere.md) already linked, <b title='XA-1'>",
            "## 1.2 About XA-1",
            "```",
            "XA-1 in a block",
            "```",
            "    ```python",
            "    XA-1",
            "    ```",
        ]
    )
    lines = link_rules(text, "docs.md", RULES).split("\n")
    assert lines[0].startswith("See [XA-2](spec/01-x.md#XA-2 ")
    assert lines[0].endswith(" and XA-9, not XA-22.")
    assert lines[1:] == text.split("\n")[1:]


def test_link_titles_hold_no_table_or_link_syntax():
    linked = link_rules("| XA-1 |", "docs.md", RULES)
    title = re.search(r'"([^"]*)"', linked).group(1)
    assert "|" not in title and "(" not in title
    assert linked.count("|") == 2


def test_bracketed_citations_are_not_reference_links():
    source = "[RFC 2119] [x] and [text][x]\n\n[x]: https://x.example\n"
    plain = markdown.markdown(source)
    strict = markdown.markdown(source, extensions=[StrictReferences()])
    assert '<a href="https://x.example">RFC 2119</a>' in plain  # Python-Markdown's default
    assert strict == (
        '<p>[RFC 2119] <a href="https://x.example">x</a> and '
        '<a href="https://x.example">text</a></p>'
    )


def test_links_relative_to_the_repository_point_at_the_site():
    sites = {"spec/90-a.md": "spec/90-a.md", "tools/x.js": "source/tools/x.js.md"}
    text = "\n".join(
        [
            "See [the spec](../../spec/90-a.md#IOP-2), [code](../../tools/x.js).",
            "[site page](../index.md) [web](https://example.org/a.md) [here](#top)",
            "`[not a link](../../spec/90-a.md)`",
            "```",
            "[in code](../../tools/x.js)",
            "```",
        ]
    )
    out = rewrite_links(text, "interop/a.md", "docs/interop/a.md", sites.get).split("\n")
    assert out[0] == "See [the spec](../spec/90-a.md#IOP-2), [code](../source/tools/x.js.md)."
    assert out[1:] == text.split("\n")[1:]
    assert link_targets(text) == [
        "../../spec/90-a.md#IOP-2",
        "../../tools/x.js",
        "../index.md",
        "https://example.org/a.md",
        "#top",
    ]


def test_rule_ids_in_rendered_docstrings_become_links():
    page = (
        "<p>Return it (spec XA-1, XA-9).</p><pre><code>XA-1</code></pre>"
        '<a href="x" title="XA-2">XA-2</a><p title="XA-1">XA-2</p>'
    )
    linked = link_rules_html(page, RULES, lambda rule: f"../s/#{rule.id}")
    assert linked == (
        '<p>Return it (spec <a href="../s/#XA-1" title="XA-1: A thing MUST be  one thing.">'
        "XA-1</a>, XA-9).</p><pre><code>XA-1</code></pre>"
        '<a href="x" title="XA-2">XA-2</a><p title="XA-1">'
        '<a href="../s/#XA-2" title="XA-2: Another see XA-1.">XA-2</a></p>'
    )


def test_pending_links_resolve_once_the_page_exists():
    text = "Read [the adapter](../spec/90-a.md#x){.pending} now."
    present = resolve_pending(text, "docs/page.md", lambda path: path == "spec/90-a.md")
    absent = resolve_pending(text, "docs/page.md", lambda path: False)
    assert present == "Read [the adapter](../spec/90-a.md#x) now."
    assert absent == 'Read the adapter <span class="pending">(not written yet)</span> now.'


def test_nav_globs_expand_and_empty_sections_disappear():
    pages = ["a/index.md", "a/b.md", "a/z/c.md", "spec/README.md", "spec/01-x.md", "x.md"]
    nav = [
        {"Home": "x.md"},
        {"A": ["a/*.md"]},
        {"All A": ["a/**.md"]},
        {"Spec": ["spec/*.md", {"One": "spec/01-*.md"}]},
        {"Later": ["later/*.md"]},
        {"Titled later": "later/*.md"},
    ]
    assert expand_nav(nav, lambda pattern: glob_match(pattern, pages)) == [
        {"Home": "x.md"},
        {"A": ["a/index.md", "a/b.md"]},
        {"All A": ["a/index.md", "a/b.md", "a/z/c.md"]},
        {"Spec": ["spec/README.md", "spec/01-x.md", {"One": "spec/01-x.md"}]},
    ]


def test_api_modules_leave_out_private_and_generated_modules(tmp_path):
    names = (
        "__init__",
        "keys",
        "_private",
        "export_pb2",
        "__main__",
        "sub/__init__",
        "data/__init__",
    )
    for name in names:
        path = tmp_path / "pkg" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    expected = ["bluezone.pkg", "bluezone.pkg.keys", "bluezone.pkg.sub"]
    assert api_modules(tmp_path, ["pkg"]) == expected


def test_source_view_anchors_every_line():
    page = source_view("protocol/x.py", "a = 1\n\nb = 2\n", [RULES["XA-1"]])
    for line in (1, 2, 3):
        assert f'id="L-{line}"' in page
    assert "[XA-1](../../spec/01-x.md#XA-1)" in page
    assert "search:\n  exclude: true" in page


def test_traceability_page_lists_rules_citations_and_problems():
    trace = Traceability(
        rules=RULES,
        duplicates=(),
        code=(Citation("XA-1", "protocol/x.py", 7), Citation("XA-1", "protocol/x.py", 9)),
        tests=(Citation("XA-1", "tests/test_x.py", 3),),
        docs=(),
        vectors=(VectorCitation("XA-1", "spec/vectors/x.json", (1, 2, 3, 5)),),
        malformed=("spec/vectors/x.json tcId 4: 'XA1'",),
        vector_readers={"spec/vectors/x.json": ("tests/test_v.py",)},
    )
    page = traceability_page(trace, {"spec/01-x.md": "1. X"}, ["spec/vectors/x.json"])
    row = next(line for line in page.splitlines() if line.startswith('| <a id="XA-1">'))
    assert "[7](../source/protocol/x.py.md#L-7), [9](../source/protocol/x.py.md#L-9)" in row
    assert "[x.json](../spec/vectors/x.json) 4 tests (tcId 1-3, 5)" in row
    assert "[3](../source/tests/test_x.py.md#L-3)<br>`tests/test_v.py` reads x.json" in row
    assert "A thing MUST be \\| one thing." in row
    assert "Rules no code cites" in page and "[XA-2](#XA-2)" in page
    assert "not rule ids" in page


def vector_flags() -> set[str]:
    flags = set()
    for path in (ROOT / "spec" / "vectors").glob("*.json"):
        flags.update(json.loads(path.read_text()).get("notes", {}))
    return flags


def test_vector_flags_named_in_the_docs_exist():
    named = set()
    pattern = re.compile(r"`([A-Z][A-Za-z]+)`(?:,? (?:and|or) `([A-Z][A-Za-z]+)`)? flags?\b")
    for path in (ROOT / "docs").rglob("*.md"):
        for match in pattern.finditer(path.read_text()):
            named.update(flag for flag in match.groups() if flag)
    assert named, "the pattern finds nothing: the check would pass vacuously"
    assert named <= vector_flags(), named - vector_flags()
