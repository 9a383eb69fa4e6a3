"""The Bluezone 2020 profile (spec appendix A1): vectors, round trips, hostile input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.bluezone2020 import (
    F0Key,
    LegacyAdvertisement,
    LegacySighting,
    blid_at,
    match_legacy,
    parse_f0_push,
    push_json,
)
from bluezone.protocol.errors import Bz2020PushError, ProtocolError
from tests.vectorfiles import cases, load

FILE = "bluezone-2020.json"


def _outcome(run) -> dict:
    try:
        return run()
    except ProtocolError as error:
        return {"error": error.code}


@pytest.mark.parametrize("test", cases(FILE, "Bz2020Blid"))
def test_blid_vectors(test):
    inputs = test["inputs"]

    def run() -> dict:
        found = blid_at(
            bytes.fromhex(inputs["base_key"]),
            inputs["install_day"],
            inputs["time"],
            inputs["slots_per_day"],
        )
        return {"blid": found.blid.hex(), "daily_key": found.daily_key.hex(), "slot": found.slot}

    assert _outcome(run) == test["expected"]


def test_every_captured_own_blid_is_a_vector():
    captured = [
        t
        for g in load(FILE)["testGroups"]
        for t in g["tests"]
        if "captured" in t["flags"] and g["type"] == "Bz2020Blid"
    ]
    assert len(captured) == 6 + 118  # phone A's README excerpt, phone B's full history
    assert len({t["expected"]["blid"] for t in captured}) == 6


@pytest.mark.parametrize("test", cases(FILE, "Bz2020AdvertisementDecode"))
def test_advertisement_vectors(test):
    ad = bytes.fromhex(test["inputs"]["ad"])
    assert (
        _outcome(lambda: {"blid": LegacyAdvertisement.from_bytes(ad).blid.hex()})
        == (test["expected"])
    )


@pytest.mark.parametrize("test", cases(FILE, "Bz2020Match"))
def test_match_vectors(test):
    def run() -> dict:
        keys = parse_f0_push(test["inputs"]["push"])
        sightings = [
            LegacySighting(bytes.fromhex(s["blid"]), s["time"]) for s in test["inputs"]["sightings"]
        ]
        pairs = match_legacy(keys, sightings)
        return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}

    assert _outcome(run) == test["expected"]


@given(st.binary(min_size=12, max_size=12))
def test_advertisement_round_trip(blid: bytes):
    ad = bytes(LegacyAdvertisement(blid))
    assert len(ad) == 23
    assert LegacyAdvertisement.from_bytes(ad).blid == blid
    assert LegacyAdvertisement.from_bytes(ad + bytes(8)).blid == blid


@given(st.binary(max_size=40))
def test_random_bytes_raise_only_protocol_errors(ad: bytes):
    with contextlib.suppress(ProtocolError):
        LegacyAdvertisement.from_bytes(ad)


@given(
    st.binary(min_size=32, max_size=32),
    st.integers(0, 40),
    st.integers(0, 86399),
    st.sampled_from([96, 144, 1, 1440]),
)
def test_a_phone_matches_its_own_blids_in_their_slot_only(key, day, second, slots):
    install = 1_600_000_000 // 86400 * 86400
    time = install + day * 86400 + second
    broadcast = blid_at(key, install, time, slots).blid
    push = F0Key(key, install, install + 60 * 86400, slots)
    length = 86400 // slots
    later = LegacySighting(broadcast, time - second % length + length)
    assert match_legacy([push], [LegacySighting(broadcast, time), later]) == [(0, 0)]


@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_random_push_values_raise_only_protocol_errors(value):
    with contextlib.suppress(ProtocolError):
        parse_f0_push({"data": value})


def test_push_json_round_trip():
    key = F0Key(bytes(range(32)), 86400, 2 * 86400, 144)
    assert parse_f0_push(push_json([key])) == (key,)


def test_a_push_of_too_many_entries_is_refused():
    entry = push_json([F0Key(bytes(32), 0, 1, 96)])["data"][0]
    with pytest.raises(Bz2020PushError):
        parse_f0_push({"data": [entry] * (params.BZ20_MAX_PUSH_ENTRIES + 1)})


def test_a_daily_key_that_is_not_hex_is_a_push_error():
    entry = {"daily_key": "zz" * 32, "time_start": 0, "time_end": 1, "max": 96}
    with pytest.raises(Bz2020PushError):
        parse_f0_push({"data": [entry]})


@given(
    st.binary(max_size=40),
    st.integers(-(2**33), 2**33),
    st.integers(-(2**33), 2**33),
    st.integers(-5, 3000),
)
def test_random_schedule_inputs_raise_only_protocol_errors(key, install_day, time, slots):
    with contextlib.suppress(ProtocolError):
        found = blid_at(key, install_day, time, slots)
        assert len(found.blid) == params.BZ20_BLID_LENGTH and 0 <= found.slot < slots
