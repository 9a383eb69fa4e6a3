"""Rule traceability: where the spec defines each rule id, and what cites it.

The spec defines a rule with an anchor, ``<a id="KS-5"></a>**KS-5**``, in ``spec/*.md``.
Code, tests and docs cite rules in comments, docstrings and messages (``# spec KS-5``,
``(KS-6)``, ``"ADV-4: ..."``); vectors cite them in the ``spec`` field of each test.

What counts as a citation: any id whose prefix is one the spec defines (``KS``, ``ADV``,
...), and any id written after the word ``spec`` whatever its prefix. The second case is what
catches a citation of a section that does not exist yet; the first keeps ``AES-128`` or
``P-256`` from being read as rules. A range (``MATCH-2..5``, ``ADV-4 to ADV-12``) cites
every rule in it.

Run ``python docs/tools/traceability.py`` for a summary; it exits 1 when an id is cited
that no spec section defines, when a rule is defined twice, or when a vector's ``spec`` field
holds something that is not a rule id.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*"
RULE_ID = re.compile(rf"^{PREFIX}-\d+$")
# One id, or a range of ids: KS-5, MATCH-2..5, ADV-5..ADV-8, ADV-4 to ADV-12.
_REFERENCE = (
    rf"(?<![\w-])(?P<prefix>{PREFIX})-(?P<first>\d+)"
    rf"(?:(?:\.\.|\u2013)(?:(?P=prefix)-)?(?P<last>\d+)|\s+to\s+(?P=prefix)-(?P<last_to>\d+))?"
    r"(?![\w-])"
)
REFERENCE = re.compile(_REFERENCE)
# The word "spec" followed by a list of references: "spec KS-5", "spec KS-5, KS-7 and ADV-1".
_SEPARATOR = r"(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*/\s*)"
_PLAIN = rf"{PREFIX}-\d+(?:(?:\.\.|\u2013)(?:{PREFIX}-)?\d+|\s+to\s+{PREFIX}-\d+)?"
MARKED = re.compile(rf"\b[Ss]pec\s+(?:{_PLAIN})(?:{_SEPARATOR}(?:{_PLAIN}))*")
DEFINITION = re.compile(rf'<a\s+id="(?P<id>{PREFIX}-\d+)"\s*>\s*</a>')
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+\1")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
MAX_RANGE = 64

# Where citations are looked for, relative to the repository root.
CODE_DIRS = (
    "protocol",
    "reference_node",
    "interop_tests",
    "spec/tools",
    "benchmarks",
)
CODE_SUFFIXES = (".py", ".js")
TEST_DIRS = ("tests",)
# This directory's own tests write made-up rule ids on purpose (to test this module).
TEST_EXCLUDE = ("tests/docs/",)
DOC_DIRS = ("docs",)
VECTOR_GLOB = "spec/vectors/*.json"
SPEC_GLOB = "spec/*.md"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule the spec defines: its id, where, under which heading, and what it says."""

    id: str
    path: str
    line: int
    section: str
    heading: str
    summary: str


@dataclass(frozen=True, slots=True)
class Citation:
    """One mention of a rule id in a source file (code, test or doc page)."""

    id: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class VectorCitation:
    """The tests of one vector file that cite a rule id."""

    id: str
    path: str
    tc_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Traceability:
    """Every rule with every citation found, and what is wrong with them."""

    rules: dict[str, Rule]
    duplicates: tuple[Rule, ...]
    code: tuple[Citation, ...]
    tests: tuple[Citation, ...]
    docs: tuple[Citation, ...]
    vectors: tuple[VectorCitation, ...]
    malformed: tuple[str, ...] = ()
    # vector file -> the test files that name it in a string literal (and so read it)
    vector_readers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def code_for(self, rule_id: str) -> list[Citation]:
        """Return the code citations of a rule, in file and line order."""
        return [c for c in self.code if c.id == rule_id]

    def tests_for(self, rule_id: str) -> list[Citation]:
        """Return the test citations of a rule, in file and line order."""
        return [c for c in self.tests if c.id == rule_id]

    def vectors_for(self, rule_id: str) -> list[VectorCitation]:
        """Return the vector files citing a rule, each with its citing tcIds."""
        return [v for v in self.vectors if v.id == rule_id]

    def test_readers_for(self, rule_id: str) -> dict[str, list[str]]:
        """Return the test files that read a vector file citing a rule, with those files."""
        readers: dict[str, list[str]] = {}
        for vector in self.vectors_for(rule_id):
            for reader in self.vector_readers.get(vector.path, ()):
                readers.setdefault(reader, []).append(vector.path.rsplit("/", 1)[-1])
        return dict(sorted(readers.items()))

    def uncited_by_code(self) -> list[Rule]:
        """Return the rules that no code cites, in spec order."""
        cited = {c.id for c in self.code}
        return [rule for rule in self.rules.values() if rule.id not in cited]

    def undefined(self) -> dict[str, list[str]]:
        """Return each cited id that no spec section defines, with where it is cited."""
        found: dict[str, list[str]] = defaultdict(list)
        for citation in (*self.code, *self.tests, *self.docs):
            if citation.id not in self.rules:
                found[citation.id].append(f"{citation.path}:{citation.line}")
        for vector in self.vectors:
            if vector.id not in self.rules:
                found[vector.id].append(f"{vector.path} tcId {compact_ranges(vector.tc_ids)}")
        return dict(sorted(found.items(), key=lambda item: rule_sort_key(item[0])))


def rule_sort_key(rule_id: str) -> tuple[str, int]:
    """Sort ids by prefix, then numerically (KS-2 before KS-10)."""
    prefix, _, number = rule_id.rpartition("-")
    return prefix, int(number)


def collect(root: Path) -> Traceability:
    """Scan the repository at ``root`` and return its traceability."""
    rules, duplicates = find_rules(sorted(root.glob(SPEC_GLOB)), root)
    prefixes = {rule_sort_key(rule_id)[0] for rule_id in rules}
    code = _scan(_files(root, CODE_DIRS, CODE_SUFFIXES), root, prefixes)
    tests = _scan(_files(root, TEST_DIRS, (".py",), TEST_EXCLUDE), root, prefixes)
    docs = _scan(_files(root, DOC_DIRS, (".md",)), root, prefixes)
    vector_paths = sorted(root.glob(VECTOR_GLOB))
    vectors, malformed = find_vector_citations(vector_paths, root)
    test_files = _files(root, TEST_DIRS, (".py",), TEST_EXCLUDE)
    readers = find_vector_readers(vector_paths, test_files, root)
    return Traceability(rules, tuple(duplicates), code, tests, docs, vectors, malformed, readers)


def find_rules(paths: Iterable[Path], root: Path) -> tuple[dict[str, Rule], list[Rule]]:
    """Return the rules defined in spec files (first definition wins) and any redefinitions."""
    rules: dict[str, Rule] = {}
    duplicates = []
    for path in paths:
        for rule in _rules_in(path.read_text(encoding="utf-8"), _relative(path, root)):
            if rule.id in rules:
                duplicates.append(rule)
            else:
                rules[rule.id] = rule
    return rules, duplicates


def _rules_in(text: str, path: str) -> Iterator[Rule]:
    section, heading = "", ""
    lines = list(_prose_lines(text))
    for index, (number, line) in enumerate(lines):
        match = HEADING.match(line)
        if match:
            heading = match.group(2)
            if len(match.group(1)) == 1:
                section = heading
            continue
        # An anchor shown as an example, in inline code, defines nothing.
        masked = INLINE_CODE.sub(lambda m: " " * len(m.group()), line)
        for definition in DEFINITION.finditer(masked):
            rest = " ".join([line[definition.end() :], *_paragraph_after(lines, index)])
            yield Rule(
                definition["id"], path, number, section, heading, _summary(rest, definition["id"])
            )


def _paragraph_after(lines: list[tuple[int, str]], index: int) -> Iterator[str]:
    """Yield the lines that continue the paragraph of ``lines[index]``."""
    previous = lines[index][0]
    for number, line in lines[index + 1 :]:
        if number != previous + 1 or not line.strip() or HEADING.match(line):
            return
        if DEFINITION.search(line) or line.lstrip().startswith(("|", "- ", "* ", ">")):
            return
        previous = number
        yield line.strip()


def _summary(rest: str, rule_id: str) -> str:
    """Return the start of a rule's text: its first sentence, or about 100 characters."""
    text = re.sub(rf"^\s*\*\*{re.escape(rule_id)}\*\*\.?\s*", "", rest)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("**", "")
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0]
    if len(sentence) <= 110:
        return sentence
    cut = sentence[:100].rsplit(" ", 1)[0]
    if cut.count("`") % 2:
        cut = cut.rsplit("`", 1)[0].rstrip()
    return cut + " ..."


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) for the lines of a markdown text outside fenced code."""
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        yield number, line


def references(text: str, prefixes: set[str], *, every: bool = False) -> Iterator[tuple[str, int]]:
    """Yield (rule id, offset) for each rule cited in ``text``, ranges expanded.

    An id counts when its prefix is in ``prefixes``, when it follows the word "spec", or
    always with ``every`` (a vector's ``spec`` field holds nothing but rule ids).
    """
    marked = [(m.start(), m.end()) for m in MARKED.finditer(text)]
    for match in REFERENCE.finditer(text):
        known = every or match["prefix"] in prefixes
        if not known and not any(a <= match.start() < b for a, b in marked):
            continue
        first = int(match["first"])
        last = match["last"] or match["last_to"]
        end = int(last) if last and first < int(last) <= first + MAX_RANGE else first
        for number in range(first, end + 1):
            yield f"{match['prefix']}-{number}", match.start()


def find_citations(path: Path, root: Path, prefixes: set[str]) -> list[Citation]:
    """Return every rule citation in one source or markdown file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    relative = _relative(path, root)
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found = []
    for rule_id, offset in references(text, prefixes):
        line = _line_of(starts, offset)
        citation = Citation(rule_id, relative, line)
        if not found or found[-1] != citation:
            found.append(citation)
    return found


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1


def find_vector_citations(
    paths: Iterable[Path], root: Path
) -> tuple[tuple[VectorCitation, ...], tuple[str, ...]]:
    """Return, per vector file and rule id, the tcIds of the tests whose ``spec`` cites it.

    Also returns the ``spec`` entries that are not rule ids (``"KS5"``), as "where: entry".
    """
    found, malformed = [], []
    for path in paths:
        relative = _relative(path, root)
        cited: dict[str, list[int]] = defaultdict(list)
        document = json.loads(path.read_text(encoding="utf-8"))
        for group in document.get("testGroups", []):
            for test in group.get("tests", []):
                ids = set()
                for entry in test.get("spec", []):
                    parsed = list(references(str(entry), set(), every=True))
                    if not REFERENCE.fullmatch(str(entry)):
                        malformed.append(f"{relative} tcId {test.get('tcId')}: {entry!r}")
                    ids.update(rule_id for rule_id, _ in parsed)
                for rule_id in ids:
                    cited[rule_id].append(test.get("tcId"))
        for rule_id, tc_ids in cited.items():
            found.append(VectorCitation(rule_id, relative, tuple(sorted(tc_ids))))
    return tuple(sorted(found, key=lambda v: (v.path, rule_sort_key(v.id)))), tuple(malformed)


def find_vector_readers(
    vectors: Iterable[Path], tests: Iterable[Path], root: Path
) -> dict[str, tuple[str, ...]]:
    """Return, per vector file, the test files naming it in a string literal."""
    texts = {_relative(path, root): path.read_text(encoding="utf-8") for path in tests}
    readers = {}
    for vector in vectors:
        quoted = re.compile(rf"[\"']{re.escape(vector.name)}[\"']")
        readers[_relative(vector, root)] = tuple(
            path for path, text in texts.items() if quoted.search(text)
        )
    return readers


def _files(
    root: Path, dirs: Iterable[str], suffixes: tuple[str, ...], exclude: tuple[str, ...] = ()
) -> list[Path]:
    paths = []
    for name in dirs:
        base = root / name
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            relative = _relative(path, root)
            if (
                path.is_file()
                and path.suffix in suffixes
                and "__pycache__" not in path.parts
                and "node_modules" not in path.parts
                and not relative.startswith(exclude)
            ):
                paths.append(path)
    return sorted(paths)


def _scan(paths: Iterable[Path], root: Path, prefixes: set[str]) -> tuple[Citation, ...]:
    return tuple(c for path in paths for c in find_citations(path, root, prefixes))


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def compact_ranges(numbers: Iterable[int]) -> str:
    """Return sorted integers as compact ranges: "1-144, 150, 152-153"."""
    parts: list[list[int]] = []
    for number in sorted(set(numbers)):
        if parts and number == parts[-1][1] + 1:
            parts[-1][1] = number
        else:
            parts.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def main(argv: list[str] | None = None) -> int:
    """Print a summary of the repository's traceability; return 1 on undefined ids."""
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[2]
    trace = collect(root)
    print(f"{len(trace.rules)} rules defined in {SPEC_GLOB}")
    print(f"{len({c.id for c in trace.code})} cited by code, {len(trace.code)} citations")
    print(f"{len({v.id for v in trace.vectors})} cited by vectors")
    print(f"{len({c.id for c in trace.tests})} cited by tests")
    uncited = trace.uncited_by_code()
    if uncited:
        print("not cited by code: " + ", ".join(rule.id for rule in uncited))
    for rule in trace.duplicates:
        print(f"defined twice: {rule.id} again at {rule.path}:{rule.line}")
    for rule_id, where in trace.undefined().items():
        print(f"cited but not defined: {rule_id} at {', '.join(where)}")
    for entry in trace.malformed:
        print(f"not a rule id: {entry}")
    return 1 if trace.undefined() or trace.duplicates or trace.malformed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
