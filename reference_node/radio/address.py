"""Bluetooth device addresses: parsing, formatting, and non-resolvable private addresses.

Addresses are written as six octets, most significant first, like ``3A:1F:00:9C:12:7E``
(the form bumble, bleak and btmon print). The ``bytes`` form here is in the same order;
HCI carries the octets in the reverse order, which only the backends deal with.

A non-resolvable private address (Core Spec Vol 6 Part B 1.3.2.2) has its two most
significant bits 00 and a 46-bit random part that is neither all zeros nor all ones.
The advertiser uses a fresh one at each identifier rotation (spec ADV-2, ADV-3).
"""

from __future__ import annotations

import re

from bluezone.reference_node.errors import AddressError

ADDRESS_LENGTH = 6
_RANDOM_PART_MASK = (1 << 46) - 1
_ADDRESS_TEXT = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")


def parse_address(address: str | bytes) -> bytes:
    """The six octets (most significant first) of ``AA:BB:CC:DD:EE:FF`` or of 6 bytes.

    Raises AddressError for any other length or spelling.
    """
    if isinstance(address, bytes | bytearray):
        if len(address) != ADDRESS_LENGTH:
            raise AddressError(f"an address is 6 octets, got {len(address)}")
        return bytes(address)
    if not isinstance(address, str) or not _ADDRESS_TEXT.fullmatch(address):
        raise AddressError("an address is written as six colon-separated hex octets")
    return bytes.fromhex(address.replace(":", ""))


def format_address(address: bytes) -> str:
    """``AA:BB:CC:DD:EE:FF`` for six octets given most significant first."""
    return ":".join(f"{b:02X}" for b in parse_address(address))


def make_nrpa(random6: bytes) -> str:
    """A non-resolvable private address made from 6 random bytes (spec ADV-2).

    The caller draws the bytes from a CSPRNG (``secrets.token_bytes(6)``). The two most
    significant bits are cleared; if the remaining 46 bits are all zeros or all ones (a
    chance of 2 in 2**46) AddressError is raised and the caller draws again.
    """
    if len(random6) != ADDRESS_LENGTH:
        raise AddressError(f"an address is made from 6 random bytes, got {len(random6)}")
    value = int.from_bytes(random6, "big") & _RANDOM_PART_MASK
    if value in (0, _RANDOM_PART_MASK):
        raise AddressError("the random part of a private address is all zeros or all ones")
    return format_address(value.to_bytes(ADDRESS_LENGTH, "big"))


def is_nrpa(address: str | bytes) -> bool:
    """Whether ``address`` is a well-formed non-resolvable private address (spec ADV-2)."""
    try:
        value = int.from_bytes(parse_address(address), "big")
    except AddressError:
        return False
    return value >> 46 == 0 and value not in (0, _RANDOM_PART_MASK)
