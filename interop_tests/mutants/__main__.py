"""``python -m bluezone.interop_tests.mutants``: the suite against every mutant, and the score.

A mutant is caught when the run fails (some test failed, failed a precondition or passed
unexpectedly). Exit status 0 only when every mutant is caught.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bluezone.interop_tests.model import FAILED, PRECONDITION_FAILED
from bluezone.interop_tests.mutants import MUTANTS, Mutant
from bluezone.interop_tests.runner import SuiteConfig, SuiteRun, all_tests, run_suite, select
from bluezone.interop_tests.vectors import default_vectors_dir, load_vectors


def run_mutant(mutant: Mutant, args: argparse.Namespace) -> SuiteRun:
    """The suite's run against one mutant (all topics unless --topics-of-mutant)."""
    vectors = args.vectors or default_vectors_dir()
    topics = frozenset(mutant.topics) if args.own_topics else None
    config = SuiteConfig(
        adapter=mutant.command(),
        vectors_dir=vectors,
        topics=topics,
        timeout=args.timeout,
        max_restarts=args.max_restarts,
    )
    return run_suite(config, select(all_tests(load_vectors(vectors)), topics))


def main(argv: Sequence[str] | None = None) -> int:
    """Run every mutant and print one line each, then the mutation score."""
    parser = argparse.ArgumentParser(prog="python -m bluezone.interop_tests.mutants")
    parser.add_argument("--vectors", type=Path, help="vector directory (default: spec/vectors)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per answer")
    parser.add_argument("--max-restarts", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument(
        "--own-topics", action="store_true", help="run only the topics listed for each mutant"
    )
    args = parser.parse_args(argv)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda m: run_mutant(m, args), MUTANTS))
    caught = 0
    width = max(len(mutant.name) for mutant in MUTANTS) + 2
    print(f"{'mutant':<{width}}{'caught':<8}{'failed':>7}{'time s':>8}  first failure")
    for mutant, run in zip(MUTANTS, runs, strict=True):
        failures = [r for r in run.results if r.verdict in (FAILED, PRECONDITION_FAILED)]
        caught += not run.passed
        first = failures[0].test.id if failures else "-"
        verdict = "yes" if not run.passed else "NO"
        counts = f"{verdict:<8}{len(failures):>7}{run.duration_s:>8.2f}"
        print(f"{mutant.name:<{width}}{counts}  {first}")
    print(f"mutation score: {caught}/{len(MUTANTS)} caught")
    return 0 if caught == len(MUTANTS) else 1


if __name__ == "__main__":
    sys.exit(main())
