"""The advertiser's schedule and payload (spec ADV-1, ADV-3, KS-6, KS-8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import InvalidIntervalError, InvalidKeyError, ProtocolError
from bluezone.protocol.keys import Metadata, decrypt_aem, derive_rpi
from bluezone.protocol.schedule import (
    AdvertisingSchedule,
    advertising_payload,
    change_time,
    rotation_delay,
    uniform_fraction,
)

TEK = bytes(range(16))
INTERVAL = 2_940_624 + 60
METADATA = Metadata.for_tx_power(-4, 1)


@given(st.binary(min_size=4, max_size=4))
def test_a_rotation_delay_is_in_0_to_60_seconds(random4: bytes):
    assert 0 <= rotation_delay(random4) < params.ROTATION_JITTER_MAX_S


def test_rotation_delay_spans_its_range():
    assert rotation_delay(bytes(4)) == 0
    assert rotation_delay(b"\x80\x00\x00\x00") == 30
    assert 59.99 < rotation_delay(b"\xff" * 4) < 60


@pytest.mark.parametrize("size", [0, 3, 5])
def test_a_fraction_needs_exactly_4_bytes(size: int):
    with pytest.raises(ProtocolError):
        uniform_fraction(bytes(size))


def test_the_change_of_interval_j_is_at_600_j_plus_the_delay():
    assert change_time(INTERVAL, 12.5) == INTERVAL * 600 + 12.5


@pytest.mark.parametrize("flags", [True, False])
def test_the_payload_is_the_codec_bytes_of_the_interval_identifier(flags: bool):
    metadata = Metadata.for_tx_power(-4, 1)
    payload = advertising_payload(TEK, INTERVAL, metadata, flags=flags)
    rpi = derive_rpi(TEK, INTERVAL)
    assert payload.rpi == rpi
    assert len(payload.ad) == (params.AD_LENGTH_WITH_FLAGS if flags else 28)
    decoded = Advertisement.from_bytes(payload.ad)
    assert decoded.rpi == rpi
    assert Metadata.from_bytes(decrypt_aem(TEK, rpi, decoded.aem)) == metadata
    assert rpi.hex() not in repr(payload)


def test_nothing_is_on_air_and_no_timer_runs_before_the_first_rotation():
    schedule = AdvertisingSchedule(METADATA)
    assert schedule.on_air is None and schedule.timer() is None


@given(st.floats(0, 599.999), st.binary(min_size=4, max_size=4))
def test_a_rotation_sends_the_interval_identifier_until_the_next_boundary_plus_delay(
    into: float, random4: bytes
):
    schedule = AdvertisingSchedule(METADATA, flags=False)
    payload = schedule.rotate(INTERVAL * 600 + into, TEK, random4)
    assert payload == advertising_payload(TEK, INTERVAL, METADATA, flags=False)
    assert schedule.on_air == payload
    assert schedule.timer() == change_time(INTERVAL + 1, rotation_delay(random4))


def test_every_rotation_draws_a_fresh_delay():
    schedule = AdvertisingSchedule(METADATA)
    schedule.rotate(INTERVAL * 600, TEK, bytes(4))
    first = schedule.timer()
    schedule.rotate(INTERVAL * 600 + 5, TEK, b"\x80\x00\x00\x00")
    assert (first, schedule.timer()) == ((INTERVAL + 1) * 600, (INTERVAL + 1) * 600 + 30)


def test_a_rotation_at_the_delayed_change_time_moves_to_the_new_interval():
    schedule = AdvertisingSchedule(METADATA)
    schedule.rotate(INTERVAL * 600, TEK, b"\xff" * 4)
    due = schedule.timer()
    assert due is not None
    assert schedule.rotate(due, TEK, bytes(4)).interval == INTERVAL + 1


def test_bad_inputs_raise_protocol_errors():
    schedule = AdvertisingSchedule(METADATA)
    with pytest.raises(InvalidIntervalError):
        schedule.rotate(-1.0, TEK, bytes(4))
    with pytest.raises(InvalidKeyError):
        schedule.rotate(INTERVAL * 600, TEK[:15], bytes(4))
    with pytest.raises(ProtocolError):
        schedule.rotate(INTERVAL * 600, TEK, bytes(3))
