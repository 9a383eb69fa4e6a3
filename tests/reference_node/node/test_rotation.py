"""The advertiser's schedule, payload and addresses (spec ADV-1, ADV-2, ADV-3)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.keys import Metadata, decrypt_aem, derive_rpi
from bluezone.reference_node.errors import AddressError
from bluezone.reference_node.node.rotation import (
    AddressSource,
    advertising_payload,
    change_time,
    rotation_delay,
    uniform_fraction,
)
from bluezone.reference_node.radio.address import is_nrpa

TEK = bytes(range(16))
INTERVAL = 2_940_624 + 60


@given(st.binary(min_size=4, max_size=4))
def test_a_rotation_delay_is_in_0_to_60_seconds(random4: bytes):
    assert 0 <= rotation_delay(random4) < params.ROTATION_JITTER_MAX_S


def test_rotation_delay_spans_its_range():
    assert rotation_delay(bytes(4)) == 0
    assert rotation_delay(b"\x80\x00\x00\x00") == 30
    assert 59.99 < rotation_delay(b"\xff" * 4) < 60


@pytest.mark.parametrize("size", [0, 3, 5])
def test_a_fraction_needs_exactly_4_bytes(size: int):
    with pytest.raises(ValueError):
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


def test_addresses_are_fresh_nrpas():
    source = AddressSource(_counter_bytes())
    drawn = [source.draw() for _ in range(500)]
    assert len(set(drawn)) == len(drawn)
    assert all(is_nrpa(a) for a in drawn)


def test_a_source_repeating_itself_is_never_reused():
    # A stuck source gives the same 6 bytes forever: one address, then an error (ADV-3).
    source = AddressSource(lambda n: b"\x12" * n)
    first = source.draw()
    assert is_nrpa(first)
    with pytest.raises(AddressError):
        source.draw()


def test_draws_that_give_no_valid_nrpa_are_retried():
    values = iter([bytes(6), b"\xff" * 6, b"\x01\x02\x03\x04\x05\x06"])
    source = AddressSource(lambda n: next(values))
    assert source.draw() == "01:02:03:04:05:06"


def _counter_bytes():
    counter = itertools.count(1)
    return lambda n: next(counter).to_bytes(n, "big")
