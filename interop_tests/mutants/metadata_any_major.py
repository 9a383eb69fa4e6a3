"""Mutant metadata_any_major: metadata of any major version is read (breaks KS-10)."""

import sys
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import hex_param, run
from bluezone.interop_tests.reference_adapter import build_adapter


def metadata_decode(params: dict[str, Any]) -> dict[str, Any]:
    try:
        return reference.metadata_decode(params)
    except Exception as error:
        if getattr(error, "code", None) != "unsupported_version":
            raise  # the length is still checked
    first, power = hex_param(params, "metadata")[:2]
    return {
        "major": first >> 6,
        "minor": (first >> 4) & 3,
        "calibration_confidence": (first >> 2) & 3,
        "tx_power": power - 256 if power > 127 else power,
    }


ADAPTER = build_adapter("mutant-metadata_any_major", metadata_decode=metadata_decode)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
