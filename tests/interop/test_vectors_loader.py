"""Loading vector files and mapping their groups to ops (IOP-21)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bluezone.interop_tests.log_checks import LOG_OPS
from bluezone.interop_tests.model import NOT_APPLICABLE
from bluezone.interop_tests.replay import GROUP_OPS, LIBRARY_LEVEL, plan, vector_tests
from bluezone.interop_tests.vectors import VectorError, default_vectors_dir, load_vectors
from tests.interop.conftest import FIXTURE_VECTORS, ROOT

SECTIONS_1_TO_3 = {"key-schedule", "advertisement", "matching"}
RISK = {"risk-v2", "risk-cwa", "risk-v1"}


def test_the_default_directory_is_spec_vectors_of_the_checkout():
    assert default_vectors_dir() == ROOT / "spec" / "vectors"


def test_every_group_type_is_mapped_or_library_level_and_every_op_has_vectors():
    types = {case.group_type for case in load_vectors(default_vectors_dir())}
    assert types <= set(GROUP_OPS) | set(LIBRARY_LEVEL)
    assert types & set(GROUP_OPS) == set(GROUP_OPS)


def test_every_risk_vector_case_is_replayed():
    cases = [c for c in load_vectors(default_vectors_dir()) if c.topic in RISK]
    tests = vector_tests(cases)
    assert len(tests) == len(cases) == 202
    assert all(t.not_applicable is None for t in tests)
    assert {next(iter(t.ops)) for t in tests} == {"score_v2", "score_cwa", "score_v1"}


def test_groups_of_later_sections_without_ops_are_named_in_their_reason():
    cases = load_vectors(default_vectors_dir())
    later = [t for t in vector_tests(cases) if t.topic not in SECTIONS_1_TO_3]
    for test in later:
        if test.group_type not in GROUP_OPS:
            reason = test.not_applicable or ""
            assert f"group {test.group_type}" in reason or f"type {test.group_type}" in reason


# Section 4: export files, the Merkle log, signed notes and checkpoints (IOP-31..IOP-41).
LOG_TOPICS = {"export", "merkle", "checkpoint"}


def test_every_export_and_log_vector_case_is_replayed_once():
    cases = [c for c in load_vectors(default_vectors_dir()) if c.topic in LOG_TOPICS]
    tests = vector_tests(cases)
    assert len(tests) == len(cases) and all(t.not_applicable is None for t in tests)
    assert {next(iter(t.ops)) for t in tests} == set(LOG_OPS)


def test_replayed_log_params_are_the_case_inputs_in_snake_case():
    case = next(
        c
        for c in load_vectors(default_vectors_dir())
        if c.group_type == "InclusionProof" and c.result == "valid"
    )
    (step,) = plan(case)
    assert step.op == "inclusion_verify" and step.expected == {"verified": True}
    assert step.params == {
        "leaf_hash": case.inputs["leafHash"],
        "leaf_index": case.inputs["leafIndex"],
        "tree_size": case.inputs["treeSize"],
        "proof": case.inputs["proof"],
        "root_hash": case.inputs["rootHash"],
    }


def test_the_key_server_api_groups_are_library_level():
    cases = [c for c in load_vectors(default_vectors_dir()) if c.topic == "upload"]
    assert {c.group_type for c in cases} <= set(LIBRARY_LEVEL)


def test_every_case_becomes_a_test_or_a_visible_not_applicable():
    cases = load_vectors(default_vectors_dir())
    tests = vector_tests(cases)
    assert {(t.source, t.tc_id) for t in tests} == {(c.source, c.tc_id) for c in cases}
    for test in tests:
        if test.group_type in GROUP_OPS:
            assert test.run is not None and test.ops, test.id
        else:
            assert test.not_applicable and test.run is None, test.id


def _broken_copy(tmp_path: Path, change) -> Path:
    target = tmp_path / "vectors"
    shutil.copytree(FIXTURE_VECTORS, target)
    path = target / "matching.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return target


def _duplicate_tc_id(data: dict) -> None:
    tests = data["testGroups"][0]["tests"]
    tests[1]["tcId"] = tests[0]["tcId"]


def _wrong_count(data: dict) -> None:
    data["numberOfTests"] += 1


def _wrong_schema(data: dict) -> None:
    data["schema"] = "bluezone-vectors/0"


def _bad_result(data: dict) -> None:
    data["testGroups"][0]["tests"][0]["result"] = "maybe"


@pytest.mark.parametrize("change", [_duplicate_tc_id, _wrong_count, _wrong_schema, _bad_result])
def test_malformed_files_are_refused(tmp_path, change):
    with pytest.raises(VectorError):
        load_vectors(_broken_copy(tmp_path, change))


def test_an_unknown_group_type_is_reported_not_dropped(tmp_path):
    def rename(data: dict) -> None:
        data["testGroups"][0]["type"] = "FutureGroup"

    tests = vector_tests(load_vectors(_broken_copy(tmp_path, rename)))
    future = [t for t in tests if t.group_type == "FutureGroup"]
    assert future and all("FutureGroup" in (t.not_applicable or "") for t in future)
    assert NOT_APPLICABLE == "not_applicable"


def test_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(VectorError):
        load_vectors(tmp_path)
