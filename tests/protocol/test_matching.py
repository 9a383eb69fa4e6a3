"""Matching engine: agreement with a plain reference, edges, chunked == serial."""

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.keys import Metadata, TemporaryExposureKey, derive_rpi, encrypt_aem
from bluezone.protocol.matching import (
    KeyBatch,
    Sighting,
    SightingTable,
    check_exposures,
    find_matches,
    merge_matches,
)

DAY = 2642976  # a UTC midnight
TOL = params.MATCH_TOLERANCE_INTERVALS


def reference_matches(keys, sightings):
    """The rules of spec section 3 written as plainly as possible (MATCH-2..5)."""
    seen, pairs, taken = set(), [], set()
    for k, key in enumerate(keys):
        if key.key_data in seen:
            continue
        seen.add(key.key_data)
        for s, sighting in enumerate(sightings):
            if s in taken:
                continue
            for j in range(key.rolling_start, key.end_interval):
                if (
                    abs(sighting.interval - j) <= TOL
                    and derive_rpi(key.key_data, j) == sighting.rpi
                ):
                    pairs.append((k, s))
                    taken.add(s)
                    break
    return sorted(pairs)


@st.composite
def workloads(draw, base=DAY):
    """A few keys (some duplicated), sightings of some of them at tolerance edges, noise."""
    key_data = draw(st.lists(st.binary(min_size=16, max_size=16), min_size=1, max_size=4))
    keys = []
    for data in key_data:
        start = base + draw(st.integers(-300, 300))
        keys.append(TemporaryExposureKey(data, start, draw(st.integers(1, 144))))
    if draw(st.booleans()):
        keys.append(keys[0])
    sightings = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(keys))
        j = key.rolling_start + draw(st.integers(-2, key.rolling_period + 1))
        offset = draw(st.sampled_from([0, 1, -1, TOL, -TOL, TOL + 1, -TOL - 1]))
        sightings.append(Sighting(derive_rpi(key.key_data, j), max(j + offset, 0)))
    for _ in range(draw(st.integers(0, 3))):
        sightings.append(Sighting(draw(st.binary(min_size=16, max_size=16)), base))
    order = draw(st.permutations(range(len(sightings))))
    return keys, [sightings[i] for i in order]


@settings(max_examples=150, deadline=None)
@given(workloads())
def test_engine_agrees_with_the_plain_reference(workload):
    keys, sightings = workload
    assert find_matches(keys, sightings) == reference_matches(keys, sightings)


@settings(max_examples=50, deadline=None)
@given(workloads(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_chunks_matched_in_any_order_merge_to_the_serial_result(workload, size, rng):
    # spec MATCH-9: the split and the order in which chunks complete change nothing.
    keys, sightings = workload
    table = SightingTable.build(sightings)
    chunks = KeyBatch.build(keys).chunks(size)
    rng.shuffle(chunks)
    assert merge_matches(table.match(c) for c in chunks) == find_matches(keys, sightings)


@settings(max_examples=20, deadline=None)
@given(workloads())
def test_a_pickled_table_matches_as_the_original(workload):
    # What a spawned worker process receives: the sightings, indexed again on arrival.
    keys, sightings = workload
    table = SightingTable.build(sightings)
    copy = pickle.loads(pickle.dumps(table))
    batch = KeyBatch.build(keys)
    assert copy.match(batch) == table.match(batch)


def test_a_sighting_matched_by_two_keys_keeps_the_first():
    # spec MATCH-5: a collision of two keys' identifiers cannot be built, so merge directly.
    assert merge_matches([[(3, 5), (3, 7)], [], [(1, 5), (2, 9)]]) == [(1, 5), (2, 9), (3, 7)]


def test_later_copies_of_a_key_are_left_out_of_the_batch():
    # spec MATCH-4: the first copy wins, even with another period.
    first = TemporaryExposureKey(bytes(16), DAY, 10)
    other = TemporaryExposureKey(bytes(range(16)), DAY)
    batch = KeyBatch.build([first, other, TemporaryExposureKey(bytes(16), DAY + 144)])
    assert batch.indices.tolist() == [0, 1]
    assert batch.starts.tolist() == [DAY, DAY] and batch.periods.tolist() == [10, 144]


def test_an_empty_table_matches_nothing():
    table = SightingTable.build([])
    assert table.match(KeyBatch.build([TemporaryExposureKey(bytes(16), DAY)])) == []


@settings(max_examples=40, deadline=None)
@given(workloads(base=params.MAX_INTERVAL - 460))
def test_engine_near_the_last_interval(workload):
    # The base leaves room for the strategy's widest key and tolerance edge below 2**32-1.
    keys, sightings = workload
    assert find_matches(keys, sightings) == reference_matches(keys, sightings)


def test_key_and_sighting_at_the_last_interval():
    last = params.MAX_INTERVAL
    key = TemporaryExposureKey(bytes(16), last, 1)
    sighting = Sighting(derive_rpi(key.key_data, last), last)
    early = Sighting(derive_rpi(key.key_data, last), last - TOL)
    assert find_matches([key], [sighting, early]) == [(0, 0), (0, 1)]


def test_sightings_spread_wider_than_the_padded_cache():
    key = TemporaryExposureKey(bytes(range(16)), DAY + 144 * 400, 144)
    far = Sighting(bytes(16), DAY - 144 * 400)
    near = Sighting(derive_rpi(key.key_data, DAY + 144 * 400 + 7), DAY + 144 * 400 + 19)
    assert find_matches([key], [far, near]) == [(0, 1)]


@pytest.mark.parametrize(
    ("offset", "matches"), [(12, True), (-12, True), (13, False), (-13, False)]
)
def test_tolerance_edges(offset, matches):
    key = TemporaryExposureKey(bytes(16), DAY, 144)
    sighting = Sighting(derive_rpi(key.key_data, DAY + 50), DAY + 50 + offset)
    assert find_matches([key], [sighting]) == ([(0, 0)] if matches else [])


def test_identifiers_outside_the_period_never_match():
    key = TemporaryExposureKey(bytes(16), DAY, 10)
    inside = Sighting(derive_rpi(key.key_data, DAY + 9), DAY + 9)
    after = Sighting(derive_rpi(key.key_data, DAY + 10), DAY + 10)
    before = Sighting(derive_rpi(key.key_data, DAY - 1), DAY - 1)
    assert find_matches([key], [inside, after, before]) == [(0, 0)]


def test_empty_inputs():
    key = TemporaryExposureKey(bytes(16), DAY)
    assert find_matches([], [Sighting(bytes(16), DAY)]) == []
    assert find_matches([key], []) == []


def sighting_with_metadata(key, interval, metadata: bytes):
    rpi = derive_rpi(key.key_data, interval)
    return Sighting(rpi, interval, encrypt_aem(key.key_data, rpi, metadata))


def test_check_exposures_applies_embargo_retention_and_metadata():
    now = DAY + 144 * 15
    old = TemporaryExposureKey(bytes([1]) * 16, DAY, 144)
    fresh = TemporaryExposureKey(bytes([2]) * 16, now - 144, 144)  # period ends at now
    recent = TemporaryExposureKey(bytes([3]) * 16, now - 144 * 3, 144)
    sightings = [
        sighting_with_metadata(old, DAY + 5, bytes(Metadata.for_tx_power(0))),  # too old
        sighting_with_metadata(fresh, now - 10, bytes(Metadata.for_tx_power(0))),
        sighting_with_metadata(recent, now - 144 * 3 + 1, bytes(Metadata.for_tx_power(-50))),
        sighting_with_metadata(recent, now - 144 * 3 + 2, bytes(Metadata.for_tx_power(-51))),
        sighting_with_metadata(recent, now - 144 * 3 + 3, bytes.fromhex("80000000")),
        sighting_with_metadata(recent, now - 144 * 3 + 4, bytes(Metadata.for_tx_power(20))),
        Sighting(derive_rpi(recent.key_data, now - 144 * 3 + 5), now - 144 * 3 + 5),
    ]
    result = check_exposures([old, fresh, recent], sightings, now)
    assert [(r.index, r.code) for r in result.rejected_keys] == [(1, "embargoed_key")]
    assert [(r.index, r.code) for r in result.discarded_sightings] == [
        (3, "implausible_tx_power"),
        (4, "unsupported_version"),
    ]
    assert result.matches == [(2, 2), (2, 5), (2, 6)]
    (exposure,) = result.exposures
    assert exposure.key is recent
    assert [m.metadata.tx_power if m.metadata else None for m in exposure.sightings] == [
        -50,
        20,
        None,
    ]


def test_sighting_fields_are_checked():
    from bluezone.protocol.errors import InvalidIntervalError, InvalidKeyError, InvalidMetadataError

    with pytest.raises(InvalidKeyError):
        Sighting(bytes(15), DAY)
    with pytest.raises(InvalidIntervalError):
        Sighting(bytes(16), -1)
    with pytest.raises(InvalidMetadataError):
        Sighting(bytes(16), DAY, aem=bytes(3))
