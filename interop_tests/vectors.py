"""Loading the spec's vector files (schema bluezone-vectors/1, Wycheproof shape).

The suite reads expectations only from these files and from invariants, never from the
library under test. They ship with this package: installed, as ``bluezone/spec/vectors``
beside ``bluezone/interop_tests``; in a source checkout, as ``spec/vectors`` beside
``interop_tests/`` (the folders mirror the installed names). ``--vectors DIR`` points elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "bluezone-vectors/1"
RESULTS = frozenset({"valid", "invalid", "acceptable"})


class VectorError(Exception):
    """A vector file is missing or does not have the expected shape."""


@dataclass(frozen=True, slots=True)
class VectorCase:
    """One test case of a vector file, with the group it belongs to."""

    source: str
    topic: str
    group_type: str
    tc_id: int
    comment: str
    rules: tuple[str, ...]
    flags: tuple[str, ...]
    inputs: dict[str, Any]
    expected: dict[str, Any]
    result: str


def default_vectors_dir() -> Path:
    """The vectors shipped beside this package, installed or in a source checkout.

    tests/test_wheel.py checks the installed case from a wheel outside the checkout.
    """
    return Path(__file__).resolve().parent.parent / "spec" / "vectors"


def default_profiles_dir() -> Path:
    """``spec/profiles`` beside the vectors: the scoring profiles the spec names (RISK-15)."""
    return default_vectors_dir().parent / "profiles"


def load_profile(name: str, directory: Path | None = None) -> Any:
    """The decoded scoring profile ``NAME.json`` (the same file every implementation reads)."""
    path = (directory or default_profiles_dir()) / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VectorError(f"{path}: unreadable scoring profile ({type(exc).__name__})") from exc


def load_vectors(directory: Path) -> list[VectorCase]:
    """Every case of every ``*.json`` file in ``directory``, in file and tcId order."""
    if not directory.is_dir():
        raise VectorError(f"vector directory {directory} does not exist (use --vectors DIR)")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise VectorError(f"no vector files (*.json) in {directory}")
    cases: list[VectorCase] = []
    for path in files:
        cases.extend(load_vector_file(path))
    return cases


def load_vector_file(path: Path) -> list[VectorCase]:
    """The cases of one vector file, checked for shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise VectorError(f"{path.name}: cannot read JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise VectorError(f"{path.name}: schema is not {SCHEMA!r}")
    groups = data.get("testGroups")
    if not isinstance(groups, list):
        raise VectorError(f"{path.name}: testGroups must be a list")
    cases = [
        _case(path.name, path.stem, group, test)
        for group in groups
        for test in _group_tests(path.name, group)
    ]
    ids = [case.tc_id for case in cases]
    if len(set(ids)) != len(ids):
        raise VectorError(f"{path.name}: tcId values are not unique")
    declared = data.get("numberOfTests")
    if declared != len(cases):
        raise VectorError(f"{path.name}: numberOfTests is {declared}, the file holds {len(cases)}")
    return cases


def _group_tests(name: str, group: Any) -> list[Any]:
    if not isinstance(group, dict) or not isinstance(group.get("type"), str):
        raise VectorError(f"{name}: each test group needs a type")
    tests = group.get("tests")
    if not isinstance(tests, list):
        raise VectorError(f"{name}: group {group['type']} needs a list of tests")
    return tests


def _case(name: str, topic: str, group: dict[str, Any], test: Any) -> VectorCase:
    """Check one test's fields and turn it into a VectorCase."""
    if not isinstance(test, dict):
        raise VectorError(f"{name}: a test of group {group['type']} is not an object")
    tc_id = test.get("tcId")
    where = f"{name} tcId {tc_id}"
    if not isinstance(tc_id, int) or isinstance(tc_id, bool):
        raise VectorError(f"{name}: a test of group {group['type']} has no integer tcId")
    inputs, expected = test.get("inputs"), test.get("expected")
    if not isinstance(inputs, dict) or not isinstance(expected, dict):
        raise VectorError(f"{where}: inputs and expected must be objects")
    if test.get("result") not in RESULTS:
        raise VectorError(f"{where}: result must be one of {sorted(RESULTS)}")
    rules, flags = test.get("spec", []), test.get("flags", [])
    if not _strings(rules) or not _strings(flags):
        raise VectorError(f"{where}: spec and flags must be lists of strings")
    return VectorCase(
        source=name,
        topic=topic,
        group_type=group["type"],
        tc_id=tc_id,
        comment=str(test.get("comment", "")),
        rules=tuple(rules),
        flags=tuple(flags),
        inputs=inputs,
        expected=expected,
        result=test["result"],
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
