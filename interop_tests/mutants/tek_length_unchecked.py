"""Mutant tek_length_unchecked: HKDF takes any input length, and nobody checks that the
TEK has 16 bytes (breaks KS-1)."""

import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import hex_param, int_param, run
from bluezone.interop_tests.mutants._variant import Variant

VARIANT = Variant()


def derive_keys(params: dict[str, Any]) -> dict[str, Any]:
    tek = hex_param(params, "tek")
    return {"rpik": VARIANT.rpik(tek).hex(), "aemk": VARIANT.aemk(tek).hex()}


def rpi(params: dict[str, Any]) -> dict[str, Any]:
    tek, interval = hex_param(params, "tek"), int_param(params, "interval")
    reference.rpi({"tek": "00" * 16, "interval": interval})  # the interval is still checked
    return {"rpi": VARIANT.rpi(tek, interval).hex()}


ADAPTER = reference.build_adapter("mutant-tek_length_unchecked", derive_keys=derive_keys, rpi=rpi)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
