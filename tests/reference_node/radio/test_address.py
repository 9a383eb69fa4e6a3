"""Addresses: parsing, formatting, non-resolvable private addresses (spec ADV-2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.reference_node.errors import AddressError
from bluezone.reference_node.radio.address import format_address, is_nrpa, make_nrpa, parse_address


@given(st.binary(min_size=6, max_size=6))
def test_make_nrpa_gives_an_nrpa_or_asks_to_draw_again(random6):
    try:
        address = make_nrpa(random6)
    except AddressError:
        part = int.from_bytes(random6, "big") & ((1 << 46) - 1)
        assert part in (0, (1 << 46) - 1)
        return
    assert is_nrpa(address)
    value = int.from_bytes(parse_address(address), "big")
    assert value >> 46 == 0
    assert value == int.from_bytes(random6, "big") & ((1 << 46) - 1)


def test_make_nrpa_clears_the_two_top_bits():
    assert make_nrpa(bytes.fromhex("ff123456789a")) == "3F:12:34:56:78:9A"


@pytest.mark.parametrize(
    "random6", [bytes(6), bytes.fromhex("c00000000000"), bytes.fromhex("3fffffffffff"), b"\xff" * 6]
)
def test_degenerate_random_parts_are_refused(random6):
    with pytest.raises(AddressError):
        make_nrpa(random6)


@pytest.mark.parametrize("length", [0, 5, 7])
def test_make_nrpa_needs_six_bytes(length):
    with pytest.raises(AddressError):
        make_nrpa(bytes(length))


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("3A:1F:00:9C:12:7E", True),
        ("00:00:00:00:00:01", True),
        ("00:00:00:00:00:00", False),  # all zeros
        ("3F:FF:FF:FF:FF:FF", False),  # all ones
        ("7A:1F:00:9C:12:7E", False),  # 01: resolvable private
        ("FA:1F:00:9C:12:7E", False),  # 11: static random
        ("BA:1F:00:9C:12:7E", False),  # 10: reserved
        ("3A:1F:00:9C:12", False),
        ("nonsense", False),
    ],
)
def test_is_nrpa(address, expected):
    assert is_nrpa(address) is expected


@given(st.binary(min_size=6, max_size=6))
def test_format_and_parse_round_trip(octets):
    text = format_address(octets)
    assert parse_address(text) == octets
    assert parse_address(text.lower()) == octets
    assert parse_address(octets) == octets


@given(st.one_of(st.text(max_size=30), st.binary(max_size=12)))
def test_parse_rejects_garbage_with_address_error_only(value):
    try:
        parsed = parse_address(value)
    except AddressError:
        return
    assert len(parsed) == 6
