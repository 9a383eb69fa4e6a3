"""Our library behind the adapter protocol: ``python -m interop_tests.reference_adapter``.

The only module of ``interop_tests`` that imports ``protocol``: the suite judges the
library through this adapter exactly as it judges a foreign implementation through its
own. ``--listen HOST:PORT`` serves TCP connections instead of stdin/stdout (IOP-20).
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from interop_tests.adapter_kit import (
    Adapter,
    Handler,
    bool_param,
    hex_param,
    int_param,
    list_param,
    run,
)
from protocol import (
    Advertisement,
    ProtocolError,
    Sighting,
    TemporaryExposureKey,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    find_matches,
)
from protocol.risk.api import score_cwa_json, score_v1_json, score_v2_json

IMPLEMENTATION = "bluezone-reference"


def derive_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op derive_keys (IOP-11): RPIK and AEMK of a TEK (KS-5, KS-7)."""
    tek = hex_param(params, "tek")
    return {"rpik": derive_rpik(tek).hex(), "aemk": derive_aemk(tek).hex()}


def rpi(params: dict[str, Any]) -> dict[str, Any]:
    """Op rpi (IOP-12): the RPI of a TEK for an interval (KS-6)."""
    return {"rpi": derive_rpi(hex_param(params, "tek"), int_param(params, "interval")).hex()}


def aem_encrypt(params: dict[str, Any]) -> dict[str, Any]:
    """Op aem_encrypt (IOP-13): encrypt 4 metadata bytes (KS-8)."""
    tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
    return {"aem": encrypt_aem(tek, rpi_bytes, hex_param(params, "metadata")).hex()}


def aem_decrypt(params: dict[str, Any]) -> dict[str, Any]:
    """Op aem_decrypt (IOP-14): decrypt an AEM to the raw 4 metadata bytes (KS-8)."""
    tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
    return {"metadata": decrypt_aem(tek, rpi_bytes, hex_param(params, "aem")).hex()}


def advertisement_encode(params: dict[str, Any]) -> dict[str, Any]:
    """Op advertisement_encode (IOP-15): the 31-byte form, or 28 bytes without Flags (ADV-1)."""
    advertisement = Advertisement(hex_param(params, "rpi"), hex_param(params, "aem"))
    return {"ad": advertisement.to_bytes(flags=bool_param(params, "flags", True)).hex()}


def advertisement_decode(params: dict[str, Any]) -> dict[str, Any]:
    """Op advertisement_decode (IOP-16): strict decoding (ADV-4..ADV-12)."""
    advertisement = Advertisement.from_bytes(hex_param(params, "ad"))
    return {"rpi": advertisement.rpi.hex(), "aem": advertisement.aem.hex()}


def read_key(item: dict[str, Any]) -> TemporaryExposureKey:
    """A diagnosis key of a match request, validated by the library (MATCH-1)."""
    return TemporaryExposureKey(
        hex_param(item, "key"), int_param(item, "rolling_start"), int_param(item, "rolling_period")
    )


def read_sighting(item: dict[str, Any]) -> Sighting:
    """A sighting of a match request."""
    return Sighting(hex_param(item, "rpi"), int_param(item, "interval"))


def match(params: dict[str, Any]) -> dict[str, Any]:
    """Op match (IOP-17): which sightings match which keys (MATCH-2..MATCH-5)."""
    keys = [read_key(item) for item in list_param(params, "keys")]
    sightings = [read_sighting(item) for item in list_param(params, "sightings")]
    pairs = find_matches(keys, sightings)
    return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}


def score_v2(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v2 (IOP-27): GAEN v2 daily summaries of the windows (RISK-10..RISK-14)."""
    return score_v2_json(params.get("config"), params.get("windows"), params.get("today"))


def score_cwa(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_cwa (IOP-28): the Corona-Warn-App verdict over the windows (RISK-30..RISK-39)."""
    return score_cwa_json(params.get("config"), params.get("windows"))


def score_v1(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v1 (IOP-29): the GAEN v1 summary of the windows on day today (RISK-20..25)."""
    return score_v1_json(params.get("config"), params.get("windows"), params.get("today"))


HANDLERS: dict[str, Handler] = {
    "derive_keys": derive_keys,
    "rpi": rpi,
    "aem_encrypt": aem_encrypt,
    "aem_decrypt": aem_decrypt,
    "advertisement_encode": advertisement_encode,
    "advertisement_decode": advertisement_decode,
    "match": match,
    "score_v2": score_v2,
    "score_cwa": score_cwa,
    "score_v1": score_v1,
}


def _error_code(exc: BaseException) -> str | None:
    """The spec's error name of a library error (CONV-4), sent as the answer's detail."""
    return getattr(exc, "code", None)


def package_version() -> str:
    """The installed distribution's version, or a marker for a source checkout."""
    try:
        return metadata.version("bluezone-protocol")
    except metadata.PackageNotFoundError:
        return "source-checkout"


def build_adapter(implementation: str = IMPLEMENTATION, **overrides: Handler) -> Adapter:
    """The reference adapter, or a variant with some handlers replaced (used by mutants)."""
    return Adapter(
        implementation=implementation,
        version=package_version(),
        handlers={**HANDLERS, **overrides},
        input_errors=(ProtocolError,),
        detail=_error_code,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the reference adapter on stdin/stdout, or on TCP with ``--listen HOST:PORT``."""
    return run(build_adapter(), argv)


if __name__ == "__main__":
    sys.exit(main())
