"""A minimal, independent implementation of spec sections 1-3, used only to compute vectors.

It is written from the spec text, on top of the ``cryptography`` package, and never imports
``protocol``: the vectors check the library, not the reverse. It favours plainness over
speed. Every function names the rule it implements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_INTERVAL = 2**32 - 1
INTERVALS_PER_DAY = 144
EMBARGO_INTERVALS = 12
TOLERANCE_INTERVALS = 12
RETENTION_INTERVALS = 14 * INTERVALS_PER_DAY
TX_POWER_MIN, TX_POWER_MAX = -50, 20

AD_FLAGS, AD_UUID16_COMPLETE, AD_SERVICE_DATA16 = 0x01, 0x03, 0x16
EN_UUID_LE = bytes.fromhex("6ffd")  # 0xFD6F, little-endian on air


class SpecError(Exception):
    """A rule violation, carrying the spec's error code."""

    def __init__(self, code: str, rule: str) -> None:
        super().__init__(f"{rule}: {code}")
        self.code = code
        self.rule = rule


# --- section 1: key schedule ---------------------------------------------------------


def interval_number(unix_seconds: int) -> int:
    """ENIntervalNumber of a unix time in seconds (KS-2)."""
    if unix_seconds < 0 or unix_seconds // 600 > MAX_INTERVAL:
        raise SpecError("invalid_interval", "KS-2")
    return unix_seconds // 600


def check_interval(interval: int) -> None:
    """An interval number is a uint32 (KS-2)."""
    if not 0 <= interval <= MAX_INTERVAL:
        raise SpecError("invalid_interval", "KS-2")


def check_key_bytes(key: bytes, rule: str = "KS-1") -> None:
    """A TEK (KS-1) or a derived key (KS-5, KS-7) is exactly 16 bytes."""
    if len(key) != 16:
        raise SpecError("invalid_key", rule)


def hkdf16(tek: bytes, info: bytes) -> bytes:
    """HKDF-SHA256(IKM=tek, salt=empty, info, L=16) (KS-5, KS-7)."""
    check_key_bytes(tek)
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=info).derive(tek)


def derive_rpik(tek: bytes) -> bytes:
    """RPIK = HKDF(TEK, "EN-RPIK") (KS-5)."""
    return hkdf16(tek, b"EN-RPIK")


def derive_aemk(tek: bytes) -> bytes:
    """AEMK = HKDF(TEK, "EN-AEMK") (KS-7)."""
    return hkdf16(tek, b"EN-AEMK")


def padded_data(interval: int) -> bytes:
    """PaddedData_j = "EN-RPI" || 0x00 * 6 || LE32(j) (KS-6)."""
    check_interval(interval)
    return b"EN-RPI" + bytes(6) + interval.to_bytes(4, "little")


def rpi_from_rpik(rpik: bytes, interval: int) -> bytes:
    """RPI_j = AES-128-ECB(RPIK, PaddedData_j) (KS-6)."""
    check_key_bytes(rpik, "KS-6")
    block = padded_data(interval)
    encryptor = Cipher(algorithms.AES(rpik), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def derive_rpi(tek: bytes, interval: int) -> bytes:
    """RPI of a TEK for one interval (KS-5, KS-6)."""
    check_key_bytes(tek)
    check_interval(interval)
    return rpi_from_rpik(derive_rpik(tek), interval)


def aes_ctr(aemk: bytes, rpi: bytes, data: bytes) -> bytes:
    """AES-128-CTR with the RPI as the whole initial counter block (KS-8)."""
    encryptor = Cipher(algorithms.AES(aemk), modes.CTR(rpi)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def encrypt_aem(tek: bytes, rpi: bytes, metadata: bytes) -> bytes:
    """AEM = AES-128-CTR(AEMK, RPI, metadata) (KS-8); checks the metadata length (KS-9)."""
    check_key_bytes(tek)
    if len(metadata) != 4:
        raise SpecError("invalid_metadata", "KS-9")
    return aes_ctr(derive_aemk(tek), rpi, metadata)


@dataclass(frozen=True, slots=True)
class Metadata:
    """Decoded metadata fields (KS-9)."""

    major: int
    minor: int
    calibration_confidence: int
    tx_power: int


def decode_metadata(metadata: bytes) -> Metadata:
    """Decode 4 metadata bytes: length (KS-9), then major version (KS-10)."""
    if len(metadata) != 4:
        raise SpecError("invalid_metadata", "KS-9")
    major = metadata[0] >> 6
    if major != 1:
        raise SpecError("unsupported_version", "KS-10")
    tx_power = metadata[1] - 256 if metadata[1] >= 128 else metadata[1]
    return Metadata(major, (metadata[0] >> 4) & 3, (metadata[0] >> 2) & 3, tx_power)


def check_key(key: bytes, rolling_start: int, rolling_period: int) -> None:
    """Receiver-side key validity, in the order of section 1: KS-1, KS-2, KS-4."""
    check_key_bytes(key)
    check_interval(rolling_start)
    if not 1 <= rolling_period <= INTERVALS_PER_DAY:
        raise SpecError("invalid_rolling_period", "KS-4")
    if rolling_start + rolling_period - 1 > MAX_INTERVAL:
        raise SpecError("invalid_rolling_period", "KS-4")


def new_key_period(interval: int) -> tuple[int, int]:
    """(rolling_start, rolling_period) of a key started at an interval (KS-3, KS-4)."""
    check_interval(interval)
    period = INTERVALS_PER_DAY - interval % INTERVALS_PER_DAY
    if interval + period - 1 > MAX_INTERVAL:
        raise SpecError("invalid_rolling_period", "KS-4")
    return interval, period


def check_embargo(rolling_start: int, rolling_period: int, now_interval: int) -> None:
    """A key is usable only from rolling_start + rolling_period + 12 on (KS-12)."""
    if now_interval < rolling_start + rolling_period + EMBARGO_INTERVALS:
        raise SpecError("embargoed_key", "KS-12")


# --- section 2: advertisement ----------------------------------------------------------


def encode_advertisement(rpi: bytes, aem: bytes, flags: bool) -> bytes:
    """The 31-byte (flags) or 28-byte (no flags) advertising data (ADV-1)."""
    if len(rpi) != 16 or len(aem) != 4:
        raise SpecError("ad_service_data_length", "ADV-1")
    body = bytes([3, AD_UUID16_COMPLETE]) + EN_UUID_LE
    body += bytes([23, AD_SERVICE_DATA16]) + EN_UUID_LE + rpi + aem
    return (bytes([2, AD_FLAGS, 0x1A]) + body) if flags else body


def decode_advertisement(ad: bytes) -> tuple[bytes, bytes]:
    """(rpi, aem) of advertising data, checked in the order of section 2.4 (ADV-4..12)."""
    if len(ad) > 31:
        raise SpecError("ad_too_long", "ADV-4")
    seen: set[str] = set()
    uuid_list: bytes | None = None
    service_data: bytes | None = None
    offset = 0
    while offset < len(ad):
        length = ad[offset]
        if length == 0:
            if any(ad[offset + 1 :]):
                raise SpecError("ad_nonzero_padding", "ADV-6")
            break
        if offset + 1 + length > len(ad):
            raise SpecError("ad_truncated", "ADV-5")
        ad_type = ad[offset + 1]
        data = ad[offset + 2 : offset + 1 + length]
        offset += 1 + length
        if ad_type == AD_FLAGS:
            _mark(seen, "flags")
            if len(data) != 1:
                raise SpecError("ad_bad_flags", "ADV-8")
        elif ad_type == AD_UUID16_COMPLETE:
            _mark(seen, "uuid16")
            uuid_list = data
        elif ad_type == AD_SERVICE_DATA16:
            if len(data) < 2:
                raise SpecError("ad_service_data_length", "ADV-11")
            if data[:2] == EN_UUID_LE:
                _mark(seen, "service_data")
                service_data = data[2:]
    if uuid_list is None or len(uuid_list) == 0 or len(uuid_list) % 2:
        raise SpecError("ad_missing_service_uuid", "ADV-9")
    if EN_UUID_LE not in [uuid_list[i : i + 2] for i in range(0, len(uuid_list), 2)]:
        raise SpecError("ad_missing_service_uuid", "ADV-9")
    if service_data is None:
        raise SpecError("ad_missing_service_data", "ADV-10")
    if len(service_data) != 20:
        raise SpecError("ad_service_data_length", "ADV-11")
    return service_data[:16], service_data[16:]


def _mark(seen: set[str], name: str) -> None:
    if name in seen:
        raise SpecError("ad_duplicate_structure", "ADV-7")
    seen.add(name)


# --- section 3: matching ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Key:
    """A diagnosis key as matching sees it (MATCH-1)."""

    key: bytes
    rolling_start: int
    rolling_period: int


@dataclass(frozen=True, slots=True)
class Sighting:
    """One logged identifier (MATCH-3)."""

    rpi: bytes
    interval: int
    aem: bytes | None = None


def find_matches(keys: Sequence[Key], sightings: Sequence[Sighting]) -> list[tuple[int, int]]:
    """(key_index, sighting_index) pairs (MATCH-1..5); any invalid key fails the call."""
    for key in keys:
        check_key(key.key, key.rolling_start, key.rolling_period)
    for sighting in sightings:
        check_interval(sighting.interval)
    return _match_valid(list(enumerate(keys)), list(enumerate(sightings)))


def _match_valid(
    keys: list[tuple[int, Key]], sightings: list[tuple[int, Sighting]]
) -> list[tuple[int, int]]:
    first_seen: set[bytes] = set()
    taken: set[int] = set()
    pairs = []
    for key_index, key in keys:
        if key.key in first_seen:  # MATCH-4
            continue
        first_seen.add(key.key)
        rpik = derive_rpik(key.key)
        expansion = {
            rpi_from_rpik(rpik, j): j
            for j in range(key.rolling_start, key.rolling_start + key.rolling_period)
        }
        for sighting_index, sighting in sightings:
            j = expansion.get(sighting.rpi)
            if sighting_index in taken or j is None:
                continue
            if abs(sighting.interval - j) <= TOLERANCE_INTERVALS:  # MATCH-3
                taken.add(sighting_index)  # MATCH-5
                pairs.append((key_index, sighting_index))
    return sorted(pairs)


def check_exposures(
    keys: Sequence[Key], sightings: Sequence[Sighting], now_interval: int
) -> tuple[list[tuple[int, int]], list[tuple[int, str]], list[tuple[int, str]]]:
    """(matches, rejected_keys, discarded_sightings) as section 3.4 defines them."""
    accepted: list[tuple[int, Key]] = []
    rejected = []
    for index, key in enumerate(keys):
        try:
            check_key(key.key, key.rolling_start, key.rolling_period)
            check_embargo(key.rolling_start, key.rolling_period, now_interval)  # MATCH-8
        except SpecError as error:
            rejected.append((index, error.code))
        else:
            accepted.append((index, key))
    oldest = now_interval - RETENTION_INTERVALS
    kept = [(i, s) for i, s in enumerate(sightings) if s.interval >= oldest]  # MATCH-6
    matches = []
    discarded = []
    for key_index, sighting_index in _match_valid(accepted, kept):
        sighting = sightings[sighting_index]
        aem = sighting.aem if sighting.aem is not None else b""
        metadata = aes_ctr(derive_aemk(keys[key_index].key), sighting.rpi, aem)
        try:
            decoded = decode_metadata(metadata)  # MATCH-7, version first
            if not TX_POWER_MIN <= decoded.tx_power <= TX_POWER_MAX:
                raise SpecError("implausible_tx_power", "MATCH-7")
        except SpecError as error:
            discarded.append((sighting_index, error.code))
        else:
            matches.append((key_index, sighting_index))
    return matches, rejected, sorted(discarded)
