"""The run's outputs: a readable table per topic and rule id, and the JSON report (IOP-25)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
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


def render_text(run: SuiteRun) -> str:
    """The readable summary: header, table per topic and rule, n/a groups, failures, verdict."""
    lines = [_header(run), "", *_table(run.results), ""]
    na = not_applicable_summary(run.results)
    if na:
        lines.append("not applicable (no adapter op expresses these cases; IOP-21):")
        lines += [f"  {n['source']} {n['group']}: {n['cases']} cases ({n['reason']})" for n in na]
        lines.append("")
    problems = [r for r in run.results if r.verdict in (*RUN_FAILING, EXPECTED_FAILURE)]
    if problems:
        lines.append("failures:")
        for result in problems:
            lines += _failure(result)
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
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for result in results:
        for rule in result.test.rules or ("-",):
            rows[(result.test.topic, rule)][result.verdict] += 1
    head = f"{'topic':<16}{'rule':<10}" + "".join(f"{label:>8}" for _, label in _COLUMNS)
    out = [head, "-" * len(head)]
    topic_order = list(dict.fromkeys(result.test.topic for result in results))

    def order(row: tuple[str, str]) -> tuple[int, str, int]:
        topic, rule = row
        prefix, _, number = rule.rpartition("-")
        return (topic_order.index(topic), prefix, int(number) if number.isdigit() else 0)

    for topic, rule in sorted(rows, key=order):
        counts = rows[(topic, rule)]
        out.append(f"{topic:<16}{rule:<10}" + "".join(f"{counts[v]:>8}" for v, _ in _COLUMNS))
    totals = Counter(result.verdict for result in results)
    out.append("-" * len(head))
    out.append(f"{'tests':<26}" + "".join(f"{totals[v]:>8}" for v, _ in _COLUMNS))
    return out


def _failure(result: TestResult) -> list[str]:
    test = result.test
    rules = ", ".join(test.rules) or "-"
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
