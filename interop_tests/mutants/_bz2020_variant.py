"""The Bluezone 2020 profile ops with knobs, each knob one mistake of the legacy app's kind.

Each handler first runs the reference handler on the same params, so the mutant rejects
exactly the inputs the reference rejects, and differs only in what it computes.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import AdapterInputError, Handler, hex_param, int_param

_OFFSETS = (0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30)


def blid_handler(*, days_short: int = 0) -> Handler:
    """bz2020_blid whose daily key is hashed ``days_short`` times too few (v2.0.0's bug)."""

    def bz2020_blid(params: dict[str, Any]) -> dict[str, Any]:
        reference.bz2020_blid(params)
        key, install = hex_param(params, "base_key"), int_param(params, "install_day")
        time, slots = int_param(params, "time"), int_param(params, "slots_per_day")
        for _ in range(max(0, (time - install) // 86400 - days_short)):
            key = sha256(key).digest()
        subkey = sha256(key + b"bluzonesubkey").digest()
        for _ in range(time % 86400 // (86400 // slots)):
            subkey = sha256(subkey).digest()
        return {"blid": bytes(subkey[o] for o in _OFFSETS).hex()}

    return bz2020_blid


def decoder_any_company() -> Handler:
    """bz2020_advertisement_decode that takes any 14-octet manufacturer data, as iOS did."""

    def bz2020_advertisement_decode(params: dict[str, Any]) -> dict[str, Any]:
        ad = hex_param(params, "ad")
        try:
            return reference.bz2020_advertisement_decode(params)
        except reference.ProtocolError:
            at = 0
            while at + 1 < len(ad) and ad[at]:
                size, kind = ad[at], ad[at + 1]
                if kind == 0xFF and size == 15 and at + 1 + size <= len(ad):
                    return {"blid": ad[at + 4 : at + 16].hex()}
                at += 1 + size
            raise AdapterInputError("BZ20-8: no manufacturer data") from None

    return bz2020_advertisement_decode
