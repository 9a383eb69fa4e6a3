"""The advertiser's addresses (spec ADV-2, ADV-3)."""

from __future__ import annotations

import itertools

import pytest

from bluezone.reference_node.errors import AddressError
from bluezone.reference_node.node.rotation import AddressSource
from bluezone.reference_node.radio.address import is_nrpa


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
