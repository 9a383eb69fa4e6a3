"""Pages the documentation site generates at build time, as markdown text.

Pure functions of their inputs (the traceability, the repository's files): the mkdocs hook
in ``docs/hooks/site.py`` calls them and adds the results to the site. Links are written
relative to the page that holds them, as mkdocs expects.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound
from traceability import PREFIX, Citation, Rule, Traceability, compact_ranges, rule_sort_key

TRACEABILITY_PAGE = "reference/traceability.md"
API_DIR = "reference/api"
SOURCE_DIR = "source"
# Modules left out of the API reference: private ones, entry points, generated code, and
# the folders that hold package data.
_SKIP_MODULE = re.compile(r"(^_(?!_init__)|^__main__$|_pb2$|^data$)")

_RULE_TOKEN = re.compile(
    r"(?P<code>`+)(?:(?!(?P=code)).)+?(?P=code)"  # inline code
    r"|(?P<link>!?\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\]))"  # a link or image already
    r"|(?P<html><[^>\n]+>)"  # an HTML tag
    r"|(?P<url>https?://\S+)"
    rf"|(?<![\w-])(?P<id>{PREFIX}-\d+)(?![\w-])"
)
# An inline link or image, or a code span (matched so that links inside it are left alone).
_LINK = re.compile(
    r"(?P<code>`+)(?:(?!(?P=code)).)+?(?P=code)"
    r"|(?P<open>!?\[[^\]]*\]\()(?P<target>[^)\s]+)(?P<rest>(?:\s+\"[^\"]*\")?\))"
)
_PENDING = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)\{\s*\.pending\s*\}")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_DEFINITION = re.compile(rf'(<a\s+id="(?P<id>{PREFIX}-\d+)"\s*>\s*</a>)\s*\*\*(?P=id)\*\*')


def relative(target: str, page: str) -> str:
    """Return the link from the page at ``page`` (a source path) to ``target``."""
    target_path, _, anchor = target.partition("#")
    if target_path == page:
        return f"#{anchor}" if anchor else posixpath.basename(page)
    link = posixpath.relpath(target_path, posixpath.dirname(page) or ".")
    return f"{link}#{anchor}" if anchor else link


def source_page(path: str) -> str:
    """Return the site path of the page showing the source file at repository ``path``."""
    return f"{SOURCE_DIR}/{path}.md"


def rule_target(rule: Rule) -> str:
    """Return the site path and anchor of a rule's definition."""
    return f"{rule.path}#{rule.id}"


def _title(rule: Rule) -> str:
    """Return a link title (tooltip) for a rule: its id and summary, without markup."""
    text = re.sub(r"[`\"()\[\]*|]", "", f"{rule.id}: {rule.summary}")
    return html.escape(text, quote=False)


def _prose(markdown: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to each prose line: not in fenced code, not a heading or link label."""
    out = []
    fence = ""
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            out.append(line)
        elif match:
            fence = match.group(1)
            out.append(line)
        elif line.lstrip().startswith("#") or re.match(r"^\s{0,3}\[[^\]]+\]:", line):
            out.append(line)
        else:
            out.append(change(line))
    return "\n".join(out)


def link_rules(markdown: str, page: str, rules: dict[str, Rule]) -> str:
    """Turn rule definitions and every known rule id in prose into links.

    A definition ``<a id="KS-5"></a>**KS-5**`` keeps its anchor and links to the rule's row
    on the traceability page; any other mention of a defined id links to its definition.
    Code (fenced or inline), headings, links and HTML tags are left as they are.
    """
    return _prose(markdown, lambda line: _link_line(line, page, rules))


def link_targets(markdown: str) -> list[str]:
    """Return the targets of the inline links and images in a page's prose."""
    found: list[str] = []

    def collect(line: str) -> str:
        found.extend(m["target"] for m in _LINK.finditer(line) if m["target"])
        return line

    _prose(markdown, collect)
    return found


def rewrite_links(
    markdown: str, page: str, repo_page: str, locate: Callable[[str], str | None]
) -> str:
    """Point links written relative to the page's place in the repository at the site.

    A page at ``docs/interop/a.md`` (site path ``interop/a.md``) may link to
    ``../../spec/x.md``, which is right on a repository browser; ``locate`` maps the
    repository path it names (``spec/x.md``) to a site path, and the link is rewritten to it.
    Links ``locate`` does not know stay as written, for mkdocs to resolve or report.
    """

    def rewrite(match: re.Match[str]) -> str:
        target = match["target"]
        if not target or re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target):
            return match.group(0)
        path, hash_, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(repo_page), path))
        site = None if repo_path.startswith("../") else locate(repo_path)
        if site is None:
            return match.group(0)
        return f"{match['open']}{relative(site + hash_ + anchor, page)}{match['rest']}"

    return _prose(markdown, lambda line: _LINK.sub(rewrite, line))


def resolve_pending(markdown: str, page: str, exists: Callable[[str], bool]) -> str:
    """Resolve links to pages that later work adds: ``[text](path.md){.pending}``.

    When the target page exists the link stays (without the mark); until then the text is
    shown with a "not written yet" note, so pages can point at parts still being built.
    """

    def resolve(match: re.Match[str]) -> str:
        text, target = match["text"], match["target"]
        path = target.partition("#")[0]
        source = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if exists(source):
            return f"[{text}]({target})"
        return f'{text} <span class="pending">(not written yet)</span>'

    return _prose(markdown, lambda line: _PENDING.sub(resolve, line))


def _link_line(line: str, page: str, rules: dict[str, Rule]) -> str:
    def definition(match: re.Match[str]) -> str:
        rule = rules.get(match["id"])
        if rule is None or rule.path != page:
            return match.group(0)
        trace = relative(f"{TRACEABILITY_PAGE}#{rule.id}", page)
        return (
            f'{match.group(1)}[**{rule.id}**]({trace} "Code, vectors and tests citing '
            f'{rule.id}"){{.rule-id}}'
        )

    def token(match: re.Match[str]) -> str:
        rule = rules.get(match["id"] or "")
        if rule is None:
            return match.group(0)
        return f'[{rule.id}]({relative(rule_target(rule), page)} "{_title(rule)}")'

    return _RULE_TOKEN.sub(token, _DEFINITION.sub(definition, line))


def traceability_page(
    trace: Traceability, spec_sections: dict[str, str], vector_files: Iterable[str]
) -> str:
    """Return the markdown of the rule traceability page.

    ``spec_sections`` maps each spec file to its title; ``vector_files`` are the vector
    files the site publishes (for links).
    """
    page = TRACEABILITY_PAGE
    published = set(vector_files)
    code_ids = {c.id for c in trace.code}
    lines = [
        "---",
        "hide:",
        "  - navigation",
        "  - toc",
        "---",
        "",
        "# Rule traceability",
        "",
        "Generated each time the site is built, from the spec and the repository as they are,",
        "so it cannot go stale. For every rule the spec defines: the code that cites it (line",
        "links into the source), the test vectors that cite it (file and tcIds), the tests that",
        "name it, and the test files that read a vector file citing it.",
        "",
        f"- **{len(trace.rules)}** rules in **{len({r.path for r in trace.rules.values()})}** "
        "spec files",
        f"- **{len(code_ids & set(trace.rules))}** cited by code "
        f"({len(trace.code)} citations in {len({c.path for c in trace.code})} files)",
        f"- **{len({v.id for v in trace.vectors} & set(trace.rules))}** cited by vectors "
        f"({len({v.path for v in trace.vectors})} files)",
        f"- **{len({c.id for c in trace.tests} & set(trace.rules))}** named in tests",
        "",
    ]
    lines += _problems(trace, page)
    by_file: dict[str, list[Rule]] = {}
    for rule in trace.rules.values():
        by_file.setdefault(rule.path, []).append(rule)
    for path, rules in by_file.items():
        title = spec_sections.get(path, path)
        lines += [f"## {title}", "", f"Defined in [{path}]({relative(path, page)}).", ""]
        # The div lets extra.css fit the five columns to the page (long paths wrap).
        lines += ['<div class="traceability" markdown>', ""]
        lines += ["| Rule | Says | Code | Vectors | Tests |", "|---|---|---|---|---|"]
        for rule in rules:
            lines.append(_row(trace, rule, page, published))
        lines += ["", "</div>", ""]
    return "\n".join(lines)


def _problems(trace: Traceability, page: str) -> list[str]:
    lines = []
    undefined = trace.undefined()
    if undefined:
        lines += ['!!! failure "Cited but defined by no spec section"', ""]
        for rule_id, where in undefined.items():
            lines.append(f"    - `{rule_id}`: {', '.join(where)}")
        lines.append("")
    if trace.duplicates:
        lines += ['!!! failure "Defined more than once"', ""]
        for rule in trace.duplicates:
            lines.append(f"    - `{rule.id}` again at {rule.path}:{rule.line}")
        lines.append("")
    if trace.malformed:
        lines += ['!!! failure "Vector spec entries that are not rule ids"', ""]
        lines += [f"    - {entry}" for entry in trace.malformed]
        lines.append("")
    uncited = trace.uncited_by_code()
    if uncited:
        links = ", ".join(f"[{r.id}](#{r.id})" for r in uncited)
        lines += [
            '!!! note "Rules no code cites"',
            "",
            "    Often rules about the text itself, devices' duties or privacy that no",
            f"    single function implements: {links}.",
            "",
        ]
    return lines


def _row(trace: Traceability, rule: Rule, page: str, published: set[str]) -> str:
    name = f'<a id="{rule.id}"></a>[{rule.id}]({relative(rule_target(rule), page)})'
    says = rule.summary.replace("|", "\\|")
    code = _citation_cell(trace.code_for(rule.id), page)
    tests = _citation_cell(trace.tests_for(rule.id), page)
    readers = "<br>".join(
        f"`{path}` reads {', '.join(sorted(set(files)))}"
        for path, files in trace.test_readers_for(rule.id).items()
    )
    tests = "<br>".join(part for part in (tests, readers) if part)
    vectors = "<br>".join(
        f"{_vector_link(v.path, page, published)} {len(v.tc_ids)} "
        f"{'test' if len(v.tc_ids) == 1 else 'tests'} (tcId {compact_ranges(v.tc_ids)})"
        for v in trace.vectors_for(rule.id)
    )
    return f"| {name} | {says} | {code or '-'} | {vectors or '-'} | {tests or '-'} |"


def _vector_link(path: str, page: str, published: set[str]) -> str:
    name = posixpath.basename(path)
    return f"[{name}]({relative(path, page)})" if path in published else f"`{name}`"


def _citation_cell(citations: list[Citation], page: str) -> str:
    by_path: dict[str, list[int]] = {}
    for citation in citations:
        lines = by_path.setdefault(citation.path, [])
        if citation.line not in lines:
            lines.append(citation.line)
    parts = []
    for path, numbers in by_path.items():
        target = source_page(path)
        links = ", ".join(f"[{n}]({relative(f'{target}#L-{n}', page)})" for n in numbers)
        parts.append(f"`{path}` {links}")
    return "<br>".join(parts)


def source_view(path: str, text: str, cited: Iterable[Rule]) -> str:
    """Return the markdown page showing one source file with numbered, linkable lines.

    Line ``n`` has the anchor ``L-n``; ``cited`` are the rules the file cites, listed with
    links to their definitions. The page is left out of the site search.
    """
    try:
        lexer = get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        lexer = get_lexer_for_filename("x.txt", stripnl=False)
    formatter = HtmlFormatter(
        linenos="table", lineanchors="L", linespans="line", anchorlinenos=True, wrapcode=True
    )
    page = source_page(path)
    rules = sorted({rule.id: rule for rule in cited}.values(), key=lambda r: rule_sort_key(r.id))
    links = ", ".join(f"[{r.id}]({relative(rule_target(r), page)})" for r in rules)
    return "\n".join(
        [
            "---",
            "search:",
            "  exclude: true",
            "---",
            "",
            f"# `{path}`",
            "",
            f"Rules cited in this file: {links}." if links else "",
            "",
            f'<div class="source-view">{highlight(text, lexer, formatter)}</div>',
        ]
    )


NAMESPACE = "bluezone"  # the installed distribution maps each folder under this name


def api_modules(root: Path, packages: Iterable[str]) -> list[str]:
    """Return the import names (``bluezone.<folder>...``) of the public modules of ``packages``."""
    names = []
    for package in packages:
        base = root / package
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "__pycache__" in parts or any(_SKIP_MODULE.search(p) for p in parts):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join((NAMESPACE, *parts)))
    return sorted(set(names))


def api_page_path(module: str) -> str:
    """Return the site path of a module's API reference page."""
    return f"{API_DIR}/{module}.md"


def api_page(module: str, submodules: list[str]) -> str:
    """Return the markdown of a module's API reference page (rendered by mkdocstrings)."""
    lines = [f"# `{module}`", "", f"::: {module}", ""]
    if submodules:
        page = api_page_path(module)
        lines += ["## Modules", ""]
        lines += [f"- [`{m}`]({relative(api_page_path(m), page)})" for m in submodules]
        lines.append("")
    return "\n".join(lines)


def expand_nav(nav: list, available: Callable[[str], list[str]]) -> list:
    """Replace each glob entry (``"spec/*.md"``) of a mkdocs nav by the pages it matches.

    ``available(pattern)`` returns the matching page paths. A titled glob
    (``{"Title": "a/*.md"}``) keeps its title for one match and becomes a section for
    several. Entries and sections that match nothing are dropped, so the nav can name
    pages that later work will add.
    """
    expanded: list = []
    for item in nav:
        if isinstance(item, str):
            expanded.extend(available(item) if "*" in item else [item])
            continue
        if not isinstance(item, dict):
            expanded.append(item)
            continue
        for title, value in item.items():
            if isinstance(value, list):
                value = expand_nav(value, available)
            elif isinstance(value, str) and "*" in value:
                found = available(value)
                value = found[0] if len(found) == 1 else found
            if value:
                expanded.append({title: value})
    return expanded


def glob_match(pattern: str, paths: Iterable[str]) -> list[str]:
    """Return the paths matching a glob (``*`` within a folder, ``**`` across), index first."""
    regex = re.compile(
        "^"
        + "".join(
            ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
            for part in re.split(r"(\*\*|\*)", pattern)
        )
        + "$"
    )
    return sorted((p for p in paths if regex.match(p)), key=_nav_order)


def _nav_order(path: str) -> tuple:
    folder, name = posixpath.split(path)
    stem = name.rsplit(".", 1)[0]
    return (folder, stem.lower() not in ("index", "readme"), stem)


def link_rules_html(html_text: str, rules: dict[str, Rule], url_for: Callable[[Rule], str]) -> str:
    """Link the rule ids in the text of rendered HTML (docstrings on API pages).

    Text inside links, code and preformatted blocks, and tag attributes, is left alone.
    """
    out = []
    skip = 0
    for part in _HTML_PART.split(html_text):
        tag = _HTML_TAG.match(part)
        if tag:
            if tag["name"].lower() in _NO_LINK_TAGS:
                skip += -1 if tag["close"] else 1
            out.append(part)
        elif skip > 0 or not part:
            out.append(part)
        else:
            out.append(_HTML_RULE.sub(lambda m: _html_rule_link(m, rules, url_for), part))
    return "".join(out)


def _html_rule_link(match: re.Match[str], rules: dict[str, Rule], url_for) -> str:
    rule = rules.get(match.group(0))
    if rule is None:
        return match.group(0)
    return f'<a href="{html.escape(url_for(rule))}" title="{_title(rule)}">{rule.id}</a>'


_HTML_PART = re.compile(r"(<[^>]+>)")
_HTML_TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9]*)")
_NO_LINK_TAGS = {"a", "code", "pre", "script", "style"}
_HTML_RULE = re.compile(rf"(?<![\w-]){PREFIX}-\d+(?![\w-])")


class StrictReferences(Extension):
    """Read ``[RFC 2119] [RFC 8174]`` as bracketed text, not as a reference-style link.

    CommonMark allows nothing between the two brackets of ``[text][id]``; Python-Markdown
    allows a space or a line break, so citations such as ``[RFC 2119] [RFC 8174]`` or a
    command's usage (``[--plot F] [--json]``) become references that mkdocs-autorefs then
    reports as missing. This extension applies the CommonMark rule to every Markdown
    instance of the build, the docstrings' included.
    """

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_StrictReferenceIds(md), "strict-references", 0)


class _StrictReferenceIds(Preprocessor):
    """Narrow the reference processors' id pattern once every extension has registered."""

    def run(self, lines: list[str]) -> list[str]:
        for name in ("reference", "mkdocs-autorefs"):
            if name in self.md.inlinePatterns:
                self.md.inlinePatterns[name].RE_LINK = _REFERENCE_ID
        return lines


_REFERENCE_ID = re.compile(r"\[([^\]]*)\]", re.DOTALL)
