"""Command line of the suite: ``python -m bluezone.interop_tests --adapter COMMAND ...``.

Exit status: 0 when every supported test passed, 1 when a test failed (IOP-23), 2 when the
suite could not start (bad arguments, vector files or expected-failures file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bluezone.interop_tests.expected_failures import (
    ExpectedFailuresError,
    load_expected_failures,
    unknown_entries,
)
from bluezone.interop_tests.report import render_text, report_json, write_junit_xml
from bluezone.interop_tests.runner import SuiteConfig, all_tests, run_suite, select, topics_of
from bluezone.interop_tests.vectors import VectorError, default_vectors_dir, load_vectors

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser(prog: str = "python -m bluezone.interop_tests") -> argparse.ArgumentParser:
    """The suite's options; ``prog`` names the command in usage messages."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the Bluezone conformance suite against an implementation's adapter "
        "(spec/90-interop-adapter.md).",
    )
    parser.add_argument(
        "--adapter",
        required=True,
        help='command that starts the adapter (e.g. "node adapter.js"), or tcp:HOST:PORT',
    )
    parser.add_argument("--vectors", type=Path, help="vector directory (default: spec/vectors)")
    parser.add_argument("--report", type=Path, help="write the JSON report to this file")
    parser.add_argument("--transcript", type=Path, help="write every exchange to this file")
    parser.add_argument(
        "--junit-xml", type=Path, metavar="FILE", help="write the results as JUnit XML (for CI)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="TOPIC",
        help="run only these topics (repeat or separate with commas); the gate always runs",
    )
    parser.add_argument(
        "--expected-failures", type=Path, metavar="FILE", help="known failures, with reasons"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per answer")
    parser.add_argument(
        "--startup-timeout", type=float, default=30.0, help="seconds for the hello answer"
    )
    parser.add_argument(
        "--max-restarts", type=int, default=20, help="adapter restarts before giving up"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the behavioural tests")
    parser.add_argument("--list", action="store_true", help="list the tests and exit")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the suite as the command line says; return the exit status.

    ``prog`` is the command name shown in usage messages (e.g. "bluezone interop run").
    """
    args = (build_parser(prog) if prog else build_parser()).parse_args(argv)
    vectors_dir = args.vectors or default_vectors_dir()
    try:
        tests = all_tests(load_vectors(vectors_dir))
        expected = (
            load_expected_failures(args.expected_failures) if args.expected_failures else None
        )
    except (VectorError, ExpectedFailuresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    topics = _topics(args.only)
    known = topics_of(tests)
    if topics is not None and not topics <= set(known):
        unknown = ", ".join(sorted(topics - set(known)))
        print(f"error: unknown topic {unknown}; topics: {', '.join(known)}", file=sys.stderr)
        return EXIT_USAGE
    selected = select(tests, topics)
    if args.list:
        for test in selected:
            print(f"{test.id}\t{','.join(test.rules)}\t{test.comment}")
        return EXIT_PASSED
    if expected is not None:
        for test_id in unknown_entries(expected, (test.id for test in tests)):
            print(f"warning: expected-failures entry {test_id} names no test", file=sys.stderr)
    config = SuiteConfig(
        adapter=args.adapter,
        vectors_dir=vectors_dir,
        topics=topics,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        max_restarts=args.max_restarts,
        seed=args.seed,
        transcript=args.transcript,
        expected_failures=expected,
    )
    run = run_suite(config, selected)
    print(render_text(run))
    if args.report:
        args.report.write_text(json.dumps(report_json(run), indent=1) + "\n", encoding="utf-8")
    if args.junit_xml:
        write_junit_xml(run, args.junit_xml)
    return EXIT_PASSED if run.passed else EXIT_FAILED


def _topics(only: list[str] | None) -> frozenset[str] | None:
    if not only:
        return None
    return frozenset(t.strip() for item in only for t in item.split(",") if t.strip())
