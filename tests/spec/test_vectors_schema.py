"""Shape checks of every vector file, their ties to the spec text, and their reproducibility.

Checks each spec/vectors/*.json against CONV-5 (spec/00-conventions.md): schema, counts,
unique test ids, rule ids that exist as anchors in the numbered spec sections and the
appendices, results, error codes from the spec's error-code tables, lowercase hex. Then
re-runs the generator named in each file and compares its output with the committed file
byte for byte.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"
VECTOR_FILES = sorted((SPEC / "vectors").glob("*.json"))
SCHEMA = "bluezone-vectors/1"
TEST_FIELDS = {"tcId", "comment", "spec", "flags", "source", "inputs", "expected", "result"}
HEX = re.compile(r"(?:[0-9a-f]{2})*")
ANCHOR = re.compile(r'<a id="([A-Z][A-Z0-9]*-[0-9]+)"></a>\*\*([A-Z][A-Z0-9]*-[0-9]+)\*\*')
# The rule catalogue of sections 0-3, 6 and appendix A1: prefix -> number of rules.
CATALOGUE = {"CONV": 5, "KS": 14, "ADV": 14, "MATCH": 11, "BZ20": 12, "GAPI": 13}


def _spec_texts() -> dict[str, str]:
    paths = sorted(SPEC.glob("[0-9A-Z][0-9]-*.md"))
    return {path.name: path.read_text(encoding="utf-8") for path in paths}


def _anchors() -> list[str]:
    found = []
    for text in _spec_texts().values():
        for anchor, bold in ANCHOR.findall(text):
            assert anchor == bold, f"anchor {anchor} labelled {bold}"
            found.append(anchor)
    return found


def _error_codes() -> set[str]:
    """Codes listed in every spec table whose header's first cell is 'Error code'."""
    codes = set()
    for text in _spec_texts().values():
        in_table = False
        for line in text.splitlines():
            if re.match(r"^\|\s*Error code\s*\|", line):
                in_table = True
            elif in_table and line.startswith("|"):
                match = re.match(r"^\|\s*`([a-z_]+)`\s*\|", line)
                if match:
                    codes.add(match.group(1))
            else:
                in_table = False
    return codes


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _tests(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [test for group in document["testGroups"] for test in group["tests"]]


# Strings that name a value of a closed set rather than hold bytes: an error code, and the
# CWA platform of RISK-36.
NAME_FIELDS = frozenset({"error", "platform"})


def _byte_strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(field name, string) for every string in value, except the fields of NAME_FIELDS."""
    if isinstance(value, str):
        return [] if key in NAME_FIELDS else [(key, value)]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _byte_strings(v, k)]
    if isinstance(value, list):
        return [pair for item in value for pair in _byte_strings(item, key)]
    return []


def test_vector_files_exist() -> None:
    names = {path.name for path in VECTOR_FILES}
    assert {"key-schedule.json", "advertisement.json", "matching.json"} <= names


def test_rule_anchors_unique_and_complete() -> None:
    anchors = _anchors()
    assert len(anchors) == len(set(anchors)), "a rule id is anchored twice"
    for prefix, count in CATALOGUE.items():
        numbers = sorted(int(a.split("-")[1]) for a in anchors if a.split("-")[0] == prefix)
        assert numbers == list(range(1, count + 1)), prefix


def test_error_code_table_holds_conv4_codes() -> None:
    codes = _error_codes()
    assert {"invalid_key", "embargoed_key", "ad_too_long", "ad_service_data_length"} <= codes
    assert len(codes) >= 15


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.name)
def test_file_header(path: Path) -> None:
    document = _load(path)
    assert document["schema"] == SCHEMA
    assert isinstance(document["algorithm"], str) and document["algorithm"]
    assert isinstance(document["notes"], dict)
    assert document["numberOfTests"] == len(_tests(document))
    for group in document["testGroups"]:
        assert set(group) == {"type", "comment", "tests"}
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", group["type"])
        assert group["tests"], f"empty group {group['type']}"


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.name)
def test_every_test_well_formed(path: Path) -> None:
    document = _load(path)
    anchors = set(_anchors())
    codes = _error_codes()
    ids = [test["tcId"] for test in _tests(document)]
    assert len(ids) == len(set(ids)), "duplicate tcId"
    for test in _tests(document):
        where = f"{path.name} tcId {test['tcId']}"
        assert set(test) == TEST_FIELDS, where
        assert isinstance(test["tcId"], int), where
        assert isinstance(test["comment"], str) and test["comment"], where
        assert test["spec"] and set(test["spec"]) <= anchors, where
        assert set(test["flags"]) <= set(document["notes"]), where
        assert isinstance(test["source"], str) and test["source"], where
        assert test["result"] in ("valid", "invalid"), where
        if test["result"] == "invalid":
            assert set(test["expected"]) == {"error"}, where
            assert test["expected"]["error"] in codes, where
        else:
            assert "error" not in test["expected"], where
        for field, text in _byte_strings([test["inputs"], test["expected"]]):
            assert HEX.fullmatch(text), f"{where}: {field} is not lowercase hex"


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.name)
def test_flags_in_notes_are_used(path: Path) -> None:
    document = _load(path)
    used = {flag for test in _tests(document) for flag in test["flags"]}
    assert set(document["notes"]) == used


def _generator_commands() -> dict[str, list[Path]]:
    commands: dict[str, list[Path]] = {}
    for path in VECTOR_FILES:
        generator = _load(path).get("generator")
        if generator:
            commands.setdefault(generator, []).append(path)
    return commands


@pytest.mark.parametrize("command", sorted(_generator_commands()))
def test_generator_reproduces_files(command: str, tmp_path: Path) -> None:
    script, *args = shlex.split(command)
    assert script.startswith("spec/tools/") and (ROOT / script).is_file()
    subprocess.run(
        [sys.executable, str(ROOT / script), *args, "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    for path in _generator_commands()[command]:
        regenerated = (tmp_path / path.name).read_bytes()
        assert regenerated == path.read_bytes(), f"{path.name} differs from its generator"
