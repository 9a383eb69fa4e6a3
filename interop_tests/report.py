"""The run's outputs: a readable table per topic and rule id, the JSON report (IOP-25), and
JUnit XML for CI systems."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bluezone.interop_tests.model import (
    EXPECTED_FAILURE,
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    PRECONDITION_FAILED,
    RUN_FAILING,
    UNEXPECTED_PASS,
    UNSUPPORTED,
    VERDICTS,
    TestResult,
)
from bluezone.interop_tests.runner import SuiteRun

REPORT_SCHEMA = "bluezone-interop-report/1"
_COLUMNS = (
    (PASSED, "pass"),
    (FAILED, "fail"),
    (PRECONDITION_FAILED, "precond"),
    (UNEXPECTED_PASS, "unexp"),
    (EXPECTED_FAILURE, "xfail"),
    (UNSUPPORTED, "unsup"),
    (NOT_APPLICABLE, "n/a"),
)
# Longest JSON excerpt shown per field in the text output; the JSON report has it all.
_EXCERPT = 400


def report_json(run: SuiteRun) -> dict[str, Any]:
    """The JSON report: who was tested, the summary, and every test with its verdict."""
    hello = run.hello
    return {
        "schema": REPORT_SCHEMA,
        "implementation": hello.implementation if hello else None,
        "version": hello.version if hello else None,
        "ops": sorted(hello.ops) if hello else [],
        "adapter": run.config.adapter,
        "vectors": str(run.config.vectors_dir),
        "topics": sorted(run.config.topics) if run.config.topics else None,
        "seed": run.config.seed,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.duration_s, 3),
        "restarts": run.restarts,
        "passed": run.passed,
        "summary": dict(sorted(Counter(r.verdict for r in run.results).items())),
        "not_applicable": not_applicable_summary(run.results),
        "tests": [_test_entry(result) for result in run.results],
    }


def _test_entry(result: TestResult) -> dict[str, Any]:
    test = result.test
    entry: dict[str, Any] = {
        "id": test.id,
        "topic": test.topic,
        "kind": test.kind,
        "tcId": test.tc_id,
        "source": test.source,
        "group": test.group_type,
        "rules": list(test.rules),
        "ops": sorted(test.ops),
        "verdict": result.verdict,
    }
    if result.reason:
        entry["reason"] = result.reason
    if result.verdict in (FAILED, PRECONDITION_FAILED, EXPECTED_FAILURE):
        entry["request"] = result.request
        entry["expected"] = result.expected
        entry["actual"] = result.actual
        entry["exchanges"] = list(result.exchanges)
    return entry


def not_applicable_summary(results: Iterable[TestResult]) -> list[dict[str, Any]]:
    """Cases no op can drive, counted per file and group type with the reason (IOP-21)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for result in results:
        if result.verdict == NOT_APPLICABLE:
            test = result.test
            counts[(test.source or test.topic, test.group_type or "-", result.reason)] += 1
    return [
        {"source": source, "group": group, "cases": n, "reason": reason}
        for (source, group, reason), n in sorted(counts.items())
    ]


def unsupported_ops(run: SuiteRun) -> list[str]:
    """The ops the selected tests use that the adapter did not list in hello (IOP-10)."""
    if run.hello is None:
        return []
    used = {op for result in run.results for op in result.test.ops}
    return sorted(used - run.hello.ops)


def rule_files(spec_dir: Path) -> dict[str, str]:
    """Rule id prefix -> the spec file that defines its rules (``spec/01-key-schedule.md``)."""
    files: dict[str, str] = {}
    for path in sorted(spec_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for prefix in dict.fromkeys(re.findall(r'<a id="([A-Z]+)-\d+"></a>', text)):
            files.setdefault(prefix, f"spec/{path.name}")
    return files


def _rule_link(rule: str, files: dict[str, str]) -> str:
    where = files.get(rule.rpartition("-")[0])
    return f"{rule} ({where}#{rule})" if where else rule


def render_text(run: SuiteRun) -> str:
    """The readable summary: header, unsupported ops, table per topic and rule, n/a groups,
    failures (rule ids linked to their spec file), verdict."""
    lines = [_header(run), ""]
    missing = unsupported_ops(run)
    if missing:
        count = sum(1 for result in run.results if result.verdict == UNSUPPORTED)
        lines += [
            f"unsupported ops (not listed in hello; their {count} tests are reported"
            f" unsupported): {', '.join(missing)}",
            "",
        ]
    files = rule_files(Path(run.config.vectors_dir).parent)
    lines += [*_table(run.results), ""]
    if files:
        used = {rule.rpartition("-")[0] for r in run.results for rule in r.test.rules}
        legend = ", ".join(f"{p} {files[p]}" for p in sorted(used) if p in files)
        lines += [f"rule ids are defined in: {legend}", ""]
    na = not_applicable_summary(run.results)
    if na:
        lines.append("not applicable (no adapter op expresses these cases; IOP-21):")
        lines += [f"  {n['source']} {n['group']}: {n['cases']} cases ({n['reason']})" for n in na]
        lines.append("")
    problems = [r for r in run.results if r.verdict in (*RUN_FAILING, EXPECTED_FAILURE)]
    if problems:
        lines.append("failures:")
        for result in problems:
            lines += _failure(result, files)
        lines.append("")
    lines.append(_verdict_line(run))
    return "\n".join(lines)


def _header(run: SuiteRun) -> str:
    who = f"{run.hello.implementation} {run.hello.version}" if run.hello else "(no hello)"
    config = run.config
    only = f", only {', '.join(sorted(config.topics))}" if config.topics else ""
    return (
        f"Bluezone interop suite: {who}\n"
        f"adapter: {config.adapter}\n"
        f"vectors: {config.vectors_dir}, seed {config.seed}{only}; "
        f"{run.duration_s:.2f} s, {run.restarts} adapter restarts"
    )


def _table(results: list[TestResult]) -> list[str]:
    """Counts per topic and rule id; a topic whose tests are all unsupported is one row.

    A test with several rule ids counts in each of their rows; each topic's ``all`` row and
    the last line count every test once.
    """
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    topics: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        topics[result.test.topic][result.verdict] += 1
        for rule in result.test.rules or ("-",):
            rows[(result.test.topic, rule)][result.verdict] += 1
    head = f"{'topic':<16}{'rule':<10}" + "".join(f"{label:>8}" for _, label in _COLUMNS)
    out = [head, "-" * len(head)]

    def row(topic: str, label: str, counts: Counter[str]) -> str:
        return f"{topic:<16}{label:<10}" + "".join(f"{counts[v]:>8}" for v, _ in _COLUMNS)

    def order(rule: str) -> tuple[str, int]:
        prefix, _, number = rule.rpartition("-")
        return (prefix, int(number) if number.isdigit() else 0)

    folded = []
    for topic, counts in topics.items():
        if set(counts) == {UNSUPPORTED}:
            folded.append(topic)
            out.append(row(topic, "all", counts))
            continue
        rules = sorted((rule for t, rule in rows if t == topic), key=order)
        shown = [rule for rule in rules if set(rows[(topic, rule)]) != {UNSUPPORTED}]
        folded += [f"{topic} {rule}" for rule in rules if rule not in shown]
        out += [row(topic, rule, rows[(topic, rule)]) for rule in shown]
        if len(rules) > 1:
            out.append(row(topic, "all", counts))
    out.append("-" * len(head))
    out.append(row("tests", "", Counter(result.verdict for result in results)))
    out.append("(a test counts in the row of each of its rule ids; 'all' rows and the last line")
    out.append(" count each test once)")
    if folded:
        out.append(f"(every test unsupported, rows not shown: {', '.join(folded)})")
    return out


def _failure(result: TestResult, files: dict[str, str]) -> list[str]:
    test = result.test
    rules = ", ".join(_rule_link(rule, files) for rule in test.rules) or "-"
    out = [f"  {result.verdict.upper()} {test.id} [{rules}]: {result.reason}"]
    for name in ("request", "expected", "actual"):
        value = getattr(result, name)
        if value is not None:
            out.append(f"      {name + ':':<10}{_excerpt(value)}")
    return out


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _verdict_line(run: SuiteRun) -> str:
    counts = Counter(result.verdict for result in run.results)
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    return f"result: {'PASSED' if run.passed else 'FAILED'} ({summary})"


def write_junit_xml(run: SuiteRun, path: Path) -> None:
    """Write the run as JUnit XML: one testsuite per topic, one testcase per test.

    Failing verdicts (IOP-23) are ``failure`` elements; unsupported and not applicable
    tests are ``skipped`` with the reason; expected failures pass with their reason.
    """
    suites: dict[str, list[TestResult]] = defaultdict(list)
    for result in run.results:
        suites[result.test.topic].append(result)
    root = ElementTree.Element(
        "testsuites",
        name="bluezone-interop",
        tests=str(len(run.results)),
        failures=str(sum(r.verdict in RUN_FAILING for r in run.results)),
        time=f"{run.duration_s:.3f}",
    )
    for topic, results in suites.items():
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=topic,
            tests=str(len(results)),
            failures=str(sum(r.verdict in RUN_FAILING for r in results)),
            skipped=str(sum(r.verdict in (UNSUPPORTED, NOT_APPLICABLE) for r in results)),
        )
        for result in results:
            case = ElementTree.SubElement(suite, "testcase", classname=topic, name=result.test.id)
            rules = ", ".join(result.test.rules)
            if result.verdict in RUN_FAILING:
                failure = ElementTree.SubElement(
                    case, "failure", type=result.verdict, message=f"[{rules}] {result.reason}"
                )
                failure.text = "\n".join(_failure(result, {}))
            elif result.verdict in (UNSUPPORTED, NOT_APPLICABLE):
                ElementTree.SubElement(
                    case, "skipped", message=f"{result.verdict}: {result.reason}".strip()
                )
            if result.verdict == EXPECTED_FAILURE:
                out = ElementTree.SubElement(case, "system-out")
                out.text = f"expected failure: {result.reason}"
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
