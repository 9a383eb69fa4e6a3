"""A re-implementation of the scheme with knobs, each knob one realistic mistake.

Mutants are the reference adapter with one op's computation replaced by this code with one
knob turned. Each handler first runs the reference handler on the same params, so the
mutant rejects exactly the inputs the reference rejects, and differs only in what it
computes: the suite must catch the difference itself, not a side effect of it.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import AdapterInputError, Handler, hex_param, int_param


@dataclass(frozen=True, slots=True)
class Variant:
    """The key schedule and matcher, with every knob at the spec's value by default."""

    rpik_info: bytes = b"EN-RPIK"
    aemk_info: bytes = b"EN-AEMK"
    salt: bytes = b""
    salt_is_tek: bool = False
    interval_order: str = "little"
    aem_mode: str = "ctr"
    aem_key: str = "aemk"
    aem_counter: str = "rpi"
    tolerance: int = 12
    honour_rolling_period: bool = True
    deduplicate_keys: bool = True

    def hkdf(self, tek: bytes, info: bytes) -> bytes:
        """HKDF-SHA256 with this variant's salt, 16 bytes."""
        salt = tek if self.salt_is_tek else self.salt
        prk = hmac.digest(salt or bytes(32), tek, "sha256")
        return hmac.digest(prk, info + b"\x01", "sha256")[:16]

    def rpik(self, tek: bytes) -> bytes:
        return self.hkdf(tek, self.rpik_info)

    def aemk(self, tek: bytes) -> bytes:
        return self.hkdf(tek, self.aemk_info)

    def rpi(self, tek: bytes, interval: int) -> bytes:
        padded = b"EN-RPI" + bytes(6) + interval.to_bytes(4, self.interval_order)  # type: ignore[arg-type]
        return _ecb(self.rpik(tek)).update(padded)

    def aem(self, tek: bytes, rpi: bytes, data: bytes, decrypt: bool = False) -> bytes:
        key = self.aemk(tek) if self.aem_key == "aemk" else self.rpik(tek)
        if self.aem_mode == "ecb":
            block = data + bytes(12)
            cipher = Cipher(algorithms.AES(key), modes.ECB())
            worker = cipher.decryptor() if decrypt else cipher.encryptor()
            return worker.update(block)[:4]
        counter = rpi if self.aem_counter == "rpi" else bytes(16)
        return Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor().update(data)

    def matches(self, params: dict[str, Any]) -> list[tuple[int, int]]:
        """The matcher: expand each key, compare RPIs, apply the tolerance."""
        keys = [reference.read_key(item) for item in params["keys"]]
        sightings = [reference.read_sighting(item) for item in params["sightings"]]
        seen: set[bytes] = set()
        taken: set[int] = set()
        pairs: list[tuple[int, int]] = []
        for key_index, key in enumerate(keys):
            if self.deduplicate_keys and key.key_data in seen:
                continue
            seen.add(key.key_data)
            period = key.rolling_period if self.honour_rolling_period else 144
            expansion = {
                self.rpi(key.key_data, key.rolling_start + j): key.rolling_start + j
                for j in range(period)
            }
            for index, sighting in enumerate(sightings):
                interval = expansion.get(sighting.rpi)
                if interval is None or index in taken:
                    continue
                if abs(sighting.interval - interval) <= self.tolerance:
                    pairs.append((key_index, index))
                    if self.deduplicate_keys:
                        taken.add(index)
        return pairs

    def handlers(self) -> dict[str, Handler]:
        """The key schedule and match ops computed by this variant."""

        def derive_keys(params: dict[str, Any]) -> dict[str, Any]:
            reference.derive_keys(params)
            tek = hex_param(params, "tek")
            return {"rpik": self.rpik(tek).hex(), "aemk": self.aemk(tek).hex()}

        def rpi(params: dict[str, Any]) -> dict[str, Any]:
            reference.rpi(params)
            tek, interval = hex_param(params, "tek"), int_param(params, "interval")
            return {"rpi": self.rpi(tek, interval).hex()}

        def aem_encrypt(params: dict[str, Any]) -> dict[str, Any]:
            reference.aem_encrypt(params)
            tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
            return {"aem": self.aem(tek, rpi_bytes, hex_param(params, "metadata")).hex()}

        def aem_decrypt(params: dict[str, Any]) -> dict[str, Any]:
            reference.aem_decrypt(params)
            tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
            data = hex_param(params, "aem")
            return {"metadata": self.aem(tek, rpi_bytes, data, decrypt=True).hex()}

        def match(params: dict[str, Any]) -> dict[str, Any]:
            reference.match(params)
            pairs = self.matches(params)
            return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}

        return {
            "derive_keys": derive_keys,
            "rpi": rpi,
            "aem_encrypt": aem_encrypt,
            "aem_decrypt": aem_decrypt,
            "match": match,
        }


def _ecb(key: bytes):  # a cryptography encryptor context
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()


def decode_advertisement(
    ad: bytes,
    *,
    exact_service_data: bool = True,
    check_padding: bool = True,
    skip_empty_structures: bool = False,
    check_lengths: bool = True,
) -> tuple[bytes, bytes]:
    """A hand-written AD parser (ADV-4..ADV-12); each knob reproduces one decoder mistake."""
    if len(ad) > 31:
        raise AdapterInputError("ADV-4: too long")
    found: dict[int, bytes] = {}
    offset = 0
    while offset < len(ad):
        length = ad[offset]
        if length == 0:
            if skip_empty_structures:
                continue  # the mistake: "skip" an empty structure without advancing
            if check_padding and any(ad[offset:]):
                raise AdapterInputError("ADV-6: non-zero padding")
            break
        if check_lengths and offset + 1 + length > len(ad):
            raise AdapterInputError("ADV-5: truncated")
        ad_type, data = ad[offset + 1], ad[offset + 2 : offset + 1 + length]
        offset += 1 + length
        if ad_type == 0x01 and len(data) != 1:
            raise AdapterInputError("ADV-8: bad flags")
        if ad_type == 0x16:
            if check_lengths and len(data) < 2:
                raise AdapterInputError("ADV-11: service data too short for a UUID")
            (uuid,) = struct.unpack_from("<H", data)  # short data: struct.error
            if uuid != 0xFD6F:
                continue
            data = data[2:]
        elif ad_type not in (0x01, 0x03):
            continue
        if ad_type in found:
            raise AdapterInputError("ADV-7: duplicate structure")
        found[ad_type] = data
    uuids = found.get(0x03, b"")
    listed = {uuids[i : i + 2] for i in range(0, len(uuids), 2)}
    if not uuids or len(uuids) % 2 or b"\x6f\xfd" not in listed:
        raise AdapterInputError("ADV-9: no 0xFD6F in a Complete List of 16-bit UUIDs")
    service_data = found.get(0x16)
    if service_data is None:
        raise AdapterInputError("ADV-10: no service data for 0xFD6F")
    size_ok = len(service_data) == 20 if exact_service_data else len(service_data) >= 20
    if not size_ok:
        raise AdapterInputError("ADV-11: service data length")
    return service_data[:16], service_data[16:20]


def decoder_handler(**knobs: bool) -> Handler:
    """An advertisement_decode op built on decode_advertisement with ``knobs``."""

    def advertisement_decode(params: dict[str, Any]) -> dict[str, Any]:
        rpi, aem = decode_advertisement(hex_param(params, "ad"), **knobs)
        return {"rpi": rpi.hex(), "aem": aem.hex()}

    return advertisement_decode
