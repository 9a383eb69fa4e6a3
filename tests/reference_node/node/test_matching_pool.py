"""The node's matching pool: the pure matcher over processes gives the serial result (MATCH-9)."""

import os

import pytest
from hypothesis import given, settings

from bluezone.protocol.keys import TemporaryExposureKey, derive_rpi
from bluezone.protocol.matching import KeyBatch, Sighting, find_matches
from bluezone.reference_node.errors import MatchingWorkerError
from bluezone.reference_node.node import matching_pool
from bluezone.reference_node.node.matching_pool import find_matches_parallel
from tests.protocol.test_matching import DAY, workloads
from tests.protocol.test_vectors import make_key, make_sightings, pairs
from tests.vectorfiles import cases


def many_keys(count: int) -> tuple[list[TemporaryExposureKey], list[Sighting]]:
    """``count`` keys, every tenth one heard once, so the matches spread over all chunks."""
    keys = [TemporaryExposureKey(i.to_bytes(16, "big"), DAY) for i in range(count)]
    sightings = [Sighting(derive_rpi(k.key_data, DAY + 7), DAY + 7) for k in keys[::10]]
    return keys, sightings


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 keys, so even small inputs are split over the processes."""
    chunks = KeyBatch.chunks
    monkeypatch.setattr(KeyBatch, "chunks", lambda self, size=3: chunks(self, size))


@settings(max_examples=15, deadline=None)
@given(workloads())
def test_two_processes_give_the_serial_result(workload):
    keys, sightings = workload
    found = find_matches_parallel(keys, sightings, workers=2, min_keys=1)
    assert found == find_matches(keys, sightings)


# Invalid vectors fail while the inputs are built, before any matching.
@pytest.mark.parametrize(
    "test", [t for t in cases("matching.json", "Match") if t.values[0]["result"] == "valid"]
)
def test_match_vectors_through_the_pool(test, small_chunks):
    keys = [make_key(k) for k in test["inputs"]["keys"]]
    sightings = make_sightings(test["inputs"]["sightings"])
    found = find_matches_parallel(keys, sightings, workers=3, min_keys=1)
    assert {"matches": pairs(found)} == test["expected"]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_both_start_methods_give_the_serial_result(method, small_chunks, monkeypatch):
    monkeypatch.setattr(matching_pool, "_start_method", lambda: method)
    keys, sightings = many_keys(60)
    found = find_matches_parallel(keys, sightings, workers=2, min_keys=1)
    assert found == find_matches(keys, sightings) and len(found) == 6


def test_the_helpers_results_are_merged(small_chunks, monkeypatch):
    # This process takes no chunk, so every pair comes from a forked helper.
    parent, take = os.getpid(), matching_pool._take_chunks
    monkeypatch.setattr(
        matching_pool, "_take_chunks", lambda *a: [] if os.getpid() == parent else take(*a)
    )
    monkeypatch.setattr(matching_pool, "_start_method", lambda: "fork")
    keys, sightings = many_keys(30)
    found = find_matches_parallel(keys, sightings, workers=3, min_keys=1)
    assert found == find_matches(keys, sightings) and len(found) == 3


def test_small_inputs_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(matching_pool, "_run", lambda *a: pytest.fail("no process wanted"))
    keys, sightings = many_keys(30)
    assert find_matches_parallel(keys, sightings, workers=2) == find_matches(keys, sightings)
    assert find_matches_parallel(keys, sightings, workers=1, min_keys=1) == find_matches(
        keys, sightings
    )


def test_a_helper_that_dies_is_an_error(small_chunks, monkeypatch):
    monkeypatch.setattr(matching_pool, "_start_method", lambda: "fork")
    monkeypatch.setattr(matching_pool, "_helper", lambda *a: os._exit(3))
    keys, sightings = many_keys(30)
    with pytest.raises(MatchingWorkerError, match="exit code 3"):
        find_matches_parallel(keys, sightings, workers=2, min_keys=1)


@pytest.mark.parametrize(("method", "parallel"), [("fork", True), ("spawn", False)])
def test_the_threshold_depends_on_the_start_method(method, parallel, monkeypatch):
    runs = []
    monkeypatch.setattr(matching_pool, "PARALLEL_MIN_KEYS", {"fork": 10, "spawn": 50})
    monkeypatch.setattr(matching_pool, "_start_method", lambda: method)
    monkeypatch.setattr(matching_pool, "_run", lambda *a: runs.append(a[0]) or [])
    keys, sightings = many_keys(30)
    find_matches_parallel(keys, sightings, workers=2)
    assert runs == ([method] if parallel else [])
