"""Advertisement codec: round trips and hostile bytes (the vector file holds the cases)."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import AdServiceDataLengthError, AdvertisementError

rpis = st.binary(min_size=16, max_size=16)
aems = st.binary(min_size=4, max_size=4)


@given(rpis, aems, st.booleans())
def test_round_trip(rpi, aem, flags):
    ad = Advertisement(rpi, aem).to_bytes(flags=flags)
    assert len(ad) == (31 if flags else 28)
    assert Advertisement.from_bytes(ad) == Advertisement(rpi, aem)


@given(rpis, aems, st.integers(0, 3))
def test_zero_padding_after_the_significant_part_is_accepted(rpi, aem, padding):
    ad = Advertisement(rpi, aem).to_bytes(flags=False) + bytes(padding)
    assert Advertisement.from_bytes(ad).rpi == rpi


@given(st.binary(max_size=40))
def test_random_bytes_raise_only_advertisement_errors(data):
    with contextlib.suppress(AdvertisementError):
        Advertisement.from_bytes(data)


@given(rpis, aems, st.data())
def test_one_changed_byte_decodes_or_raises_advertisement_error(rpi, aem, data):
    ad = bytearray(Advertisement(rpi, aem).to_bytes())
    position = data.draw(st.integers(0, len(ad) - 1))
    ad[position] = data.draw(st.integers(0, 255))
    try:
        decoded = Advertisement.from_bytes(bytes(ad))
    except AdvertisementError:
        return
    # Only changes the decoder may ignore: the Flags value, or the payload itself.
    assert position == 2 or position >= 11 or decoded == Advertisement(rpi, aem)


@given(rpis, aems, st.integers(1, 30))
def test_every_truncation_is_rejected(rpi, aem, length):
    with pytest.raises(AdvertisementError):
        Advertisement.from_bytes(Advertisement(rpi, aem).to_bytes()[:length])


def test_fields_are_checked_on_construction():
    with pytest.raises(AdServiceDataLengthError):
        Advertisement(bytes(15), bytes(4))
    with pytest.raises(AdServiceDataLengthError):
        Advertisement(bytes(16), bytes(5))
