"""Mutation check: the suite catches every deliberately broken adapter.

Each mutant runs with the topics its catalogue entry names (the gate always runs too); the
suite must fail the run and blame the mutant's rule: a failed test cites it, or the
failure's reason does. Only the mutant that hangs gets a short timeout: on a loaded machine
a slow answer from any other must not turn into a timeout blamed on the wrong rule.
"""

from __future__ import annotations

import pkgutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import bluezone.interop_tests.mutants as mutants_package
from bluezone.interop_tests.model import RUN_FAILING
from bluezone.interop_tests.mutants import MUTANTS, Mutant
from bluezone.interop_tests.runner import SuiteConfig, SuiteRun, all_tests, run_suite, select
from bluezone.interop_tests.vectors import default_vectors_dir, load_vectors

TESTS = all_tests(load_vectors(default_vectors_dir()))
MUTANT_DIR = Path(mutants_package.__file__).parent
# Runs overlap: most of a run is waiting for adapter processes to start and answer.
PARALLEL_RUNS = 4
HANGS = frozenset({"decoder_hangs_on_zero_length"})
TIMEOUT_S = 5.0
HANG_TIMEOUT_S = 1.0


def run_against(mutant: Mutant) -> SuiteRun:
    topics = frozenset(mutant.topics)
    config = SuiteConfig(
        adapter=mutant.command(),
        vectors_dir=default_vectors_dir(),
        topics=topics,
        timeout=HANG_TIMEOUT_S if mutant.name in HANGS else TIMEOUT_S,
        max_restarts=2,
    )
    return run_suite(config, select(TESTS, topics))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, SuiteRun]:
    """The suite's run against every mutant, several at a time."""
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        return dict(zip((m.name for m in MUTANTS), pool.map(run_against, MUTANTS), strict=True))


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_suite_catches_the_mutant(mutant: Mutant, outcomes: dict[str, SuiteRun]):
    outcome = outcomes[mutant.name]
    assert not outcome.passed, f"{mutant.name} was not caught"
    failures = [r for r in outcome.results if r.verdict in RUN_FAILING]
    blamed = {rule for r in failures for rule in r.test.rules}
    blamed |= {rule for r in failures for rule in mutant.rules if rule in r.reason}
    assert blamed & set(mutant.rules), f"{mutant.name} failed only tests of {sorted(blamed)}"


def test_the_short_timeout_is_only_for_a_catalogued_mutant():
    assert {mutant.name for mutant in MUTANTS} >= HANGS


def test_there_are_at_least_ten_mutants_each_catalogued_once():
    found = pkgutil.iter_modules([str(MUTANT_DIR)])
    modules = {module.name for module in found if not module.name.startswith("_")}
    names = [mutant.name for mutant in MUTANTS]
    assert len(names) == len(set(names)) >= 10
    assert set(names) == modules


def test_the_readme_table_lists_every_mutant():
    table = (MUTANT_DIR / "README.md").read_text()
    for mutant in MUTANTS:
        assert f"| `{mutant.name}` | {mutant.breaks} |" in table
