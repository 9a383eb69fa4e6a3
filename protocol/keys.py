"""The key schedule: temporary exposure keys, identifiers and encrypted metadata.

Spec section 1 (spec/01-key-schedule.md). All functions are pure: the key material,
the interval and the random bytes of a new key are arguments.
"""

from __future__ import annotations

import hmac
import math
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from bluezone.protocol import params
from bluezone.protocol.errors import (
    EmbargoedKeyError,
    InvalidIntervalError,
    InvalidKeyError,
    InvalidMetadataError,
    InvalidRollingPeriodError,
    UnsupportedVersionError,
)

_HASH = "sha256"
_INTERVAL = struct.Struct("<I")


def interval_number(unix_seconds: int | float) -> int:
    """Return the ENIntervalNumber of a UNIX time in seconds (spec KS-2).

    Raises InvalidIntervalError for a time that is not a finite number (bool included),
    negative times and times past interval 2**32-1.
    """
    if (
        isinstance(unix_seconds, bool)
        or not isinstance(unix_seconds, int | float)
        or not math.isfinite(unix_seconds)
    ):
        raise InvalidIntervalError("KS-2: a time must be a finite number of seconds")
    if unix_seconds < 0:
        raise InvalidIntervalError("KS-2: time before the UNIX epoch")
    interval = int(unix_seconds // params.INTERVAL_SECONDS)
    check_interval(interval)
    return interval


def check_interval(interval: object, what: str = "interval number") -> None:
    """Raise InvalidIntervalError unless ``interval`` is an int in 0..2**32-1 (spec KS-2).

    bool, float and every other type are refused, so a typed API never fails on them with
    another error later. ``what`` names the field in the message.
    """
    if not isinstance(interval, int) or isinstance(interval, bool):
        raise InvalidIntervalError(f"KS-2: {what} must be an int, got {type(interval).__name__}")
    if not 0 <= interval <= params.MAX_INTERVAL:
        raise InvalidIntervalError(f"KS-2: {what} is not a uint32")


def day_start_interval(interval: int) -> int:
    """Return the interval of the UTC midnight that starts ``interval``'s day (spec KS-3)."""
    check_interval(interval)
    return interval - interval % params.INTERVALS_PER_DAY


def _check_length(value: bytes, length: int, rule: str, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != length:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise InvalidKeyError(f"{rule}: {what} must be {length} bytes, got {size}")


def hkdf16(key_material: bytes, info: bytes) -> bytes:
    """Return 16 bytes of HKDF-SHA256 (RFC 5869) with ``params.HKDF_SALT`` (spec KS-5, KS-7).

    The one HKDF of the package; it does not check lengths (its callers do). An output of
    16 bytes needs one expand block: T(1) = HMAC(PRK, info || 0x01).
    """
    prk = hmac.digest(params.HKDF_SALT, key_material, _HASH)
    return hmac.digest(prk, info + b"\x01", _HASH)[: params.DERIVED_KEY_LENGTH]


def derive_rpik(tek: bytes) -> bytes:
    """Return the Rolling Proximity Identifier Key of a TEK (spec KS-5)."""
    _check_length(tek, params.TEK_LENGTH, "KS-1", "temporary exposure key")
    return hkdf16(tek, params.RPIK_INFO)


def derive_aemk(tek: bytes) -> bytes:
    """Return the Associated Encrypted Metadata Key of a TEK (spec KS-7)."""
    _check_length(tek, params.TEK_LENGTH, "KS-1", "temporary exposure key")
    return hkdf16(tek, params.AEMK_INFO)


def padded_data(interval: int) -> bytes:
    """Return PaddedData for an interval: "EN-RPI", six zero bytes, LE32 interval (KS-6)."""
    check_interval(interval)
    return params.RPI_PREFIX + _INTERVAL.pack(interval)


def rpi_from_rpik(rpik: bytes, interval: int) -> bytes:
    """Return the Rolling Proximity Identifier for an interval under an RPIK (spec KS-6)."""
    _check_length(rpik, params.DERIVED_KEY_LENGTH, "KS-5", "RPIK")
    return _ecb(rpik).update(padded_data(interval))


def derive_rpi(tek: bytes, interval: int) -> bytes:
    """Return the Rolling Proximity Identifier of a TEK for an interval (spec KS-5, KS-6)."""
    return rpi_from_rpik(derive_rpik(tek), interval)


def derive_rpis(tek: bytes, first_interval: int, count: int) -> list[bytes]:
    """Return the identifiers of ``count`` consecutive intervals from ``first_interval`` (KS-6).

    ``count`` is at most ``params.MAX_DERIVED_IDENTIFIERS``; raises InvalidIntervalError.
    """
    check_interval(first_interval)
    if not isinstance(count, int) or isinstance(count, bool):
        raise InvalidIntervalError("KS-2: an identifier count must be an int")
    if not 0 <= count <= params.MAX_DERIVED_IDENTIFIERS:
        raise InvalidIntervalError(
            f"KS-6: an identifier count must be in 0..{params.MAX_DERIVED_IDENTIFIERS}"
        )
    if first_interval + count - 1 > params.MAX_INTERVAL:
        raise InvalidIntervalError("KS-2: identifier range runs past interval 2**32-1")
    blocks = b"".join(padded_data(first_interval + i) for i in range(count))
    out = _ecb(derive_rpik(tek)).update(blocks)
    return [out[i : i + params.RPI_LENGTH] for i in range(0, len(out), params.RPI_LENGTH)]


def _ecb(key: bytes) -> CipherContext:
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()


def _ctr(aemk: bytes, rpi: bytes, data: bytes) -> bytes:
    # spec KS-8: the whole RPI is the initial counter block.
    return Cipher(algorithms.AES(aemk), modes.CTR(rpi)).encryptor().update(data)


def _check_aem_inputs(tek: bytes, rpi: bytes, data: bytes, what: str) -> None:
    _check_length(tek, params.TEK_LENGTH, "KS-1", "temporary exposure key")
    _check_length(rpi, params.RPI_LENGTH, "KS-8", "rolling proximity identifier")
    if not isinstance(data, bytes | bytearray) or len(data) != params.METADATA_LENGTH:
        raise InvalidMetadataError(f"KS-9: {what} must be {params.METADATA_LENGTH} bytes")


def encrypt_aem(tek: bytes, rpi: bytes, metadata: bytes) -> bytes:
    """Return the Associated Encrypted Metadata for ``metadata`` sent with ``rpi`` (KS-8)."""
    _check_aem_inputs(tek, rpi, metadata, "metadata")
    return _ctr(derive_aemk(tek), bytes(rpi), bytes(metadata))


def decrypt_aem(tek: bytes, rpi: bytes, aem: bytes) -> bytes:
    """Return the metadata bytes hidden in ``aem`` (spec KS-8). No version check here."""
    _check_aem_inputs(tek, rpi, aem, "associated encrypted metadata")
    return _ctr(derive_aemk(tek), bytes(rpi), bytes(aem))


def decrypt_aem_with_aemk(aemk: bytes, rpi: bytes, aem: bytes) -> bytes:
    """Return the metadata bytes of ``aem`` given the AEMK itself (spec KS-8)."""
    _check_length(aemk, params.DERIVED_KEY_LENGTH, "KS-7", "AEMK")
    _check_length(rpi, params.RPI_LENGTH, "KS-8", "rolling proximity identifier")
    if len(aem) != params.AEM_LENGTH:
        raise InvalidMetadataError(f"KS-9: AEM must be {params.AEM_LENGTH} bytes")
    return _ctr(aemk, bytes(rpi), bytes(aem))


@dataclass(frozen=True, slots=True)
class Metadata:
    """The 4 metadata bytes an advertisement carries encrypted (spec KS-9).

    ``major`` and ``minor`` are 2-bit versions, ``calibration_confidence`` is 0..3 and
    ``tx_power`` is the advertised TX power in dBm, -128..127.
    """

    major: int
    minor: int
    calibration_confidence: int
    tx_power: int

    def __post_init__(self) -> None:
        for name in ("major", "minor", "calibration_confidence", "tx_power"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidMetadataError(f"KS-9: {name} must be an int")
        for name in ("major", "minor", "calibration_confidence"):
            if not 0 <= getattr(self, name) <= 3:
                raise InvalidMetadataError(f"KS-9: {name} must fit in 2 bits")
        if not params.MIN_TX_POWER <= self.tx_power <= params.MAX_TX_POWER:
            raise InvalidMetadataError("KS-9: tx_power must be a signed byte")

    @classmethod
    def for_tx_power(cls, tx_power: int, calibration_confidence: int = 0) -> Metadata:
        """Return the metadata a sender of this spec version sends (spec KS-9)."""
        return cls(
            params.METADATA_MAJOR_VERSION,
            params.METADATA_MINOR_VERSION,
            calibration_confidence,
            tx_power,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Metadata:
        """Parse metadata as a receiver does (spec KS-9, KS-10).

        Raises InvalidMetadataError for a wrong length and UnsupportedVersionError for a
        major version other than 1. Minor version and reserved bits and bytes are ignored.
        """
        if not isinstance(data, bytes | bytearray) or len(data) != params.METADATA_LENGTH:
            raise InvalidMetadataError(f"KS-9: metadata must be {params.METADATA_LENGTH} bytes")
        first = data[0]
        major = first >> params.METADATA_MAJOR_SHIFT
        if major != params.METADATA_MAJOR_VERSION:
            raise UnsupportedVersionError(f"KS-10: major version {major} is not supported")
        return cls(
            major,
            (first >> params.METADATA_MINOR_SHIFT) & 0b11,
            (first >> params.METADATA_CONFIDENCE_SHIFT) & 0b11,
            int.from_bytes(data[1:2], "big", signed=True),
        )

    def __bytes__(self) -> bytes:
        first = (
            self.major << params.METADATA_MAJOR_SHIFT
            | self.minor << params.METADATA_MINOR_SHIFT
            | self.calibration_confidence << params.METADATA_CONFIDENCE_SHIFT
        )
        return bytes([first, self.tx_power & 0xFF, 0, 0])


@dataclass(frozen=True, slots=True)
class TemporaryExposureKey:
    """A TEK with its validity, as kept by its device or published as a diagnosis key.

    Construction checks spec KS-1 (16 bytes) and KS-4 (period 1..144, no overflow).
    ``report_type`` and ``days_since_onset`` are carried for risk scoring, unchecked here.
    """

    key_data: bytes
    rolling_start: int
    rolling_period: int = params.MAX_ROLLING_PERIOD
    report_type: int | None = None
    days_since_onset: int | None = None

    def __post_init__(self) -> None:
        check_key(self.key_data, self.rolling_start, self.rolling_period)

    @property
    def end_interval(self) -> int:
        """The first interval after the key's period (exclusive end)."""
        return self.rolling_start + self.rolling_period

    def check_publishable(self, now_interval: int) -> None:
        """Raise EmbargoedKeyError unless the key's embargo is over (spec KS-12, MATCH-8)."""
        check_interval(now_interval, "now_interval")
        if now_interval < self.end_interval + params.EMBARGO_INTERVALS:
            raise EmbargoedKeyError("KS-12: key period plus embargo has not ended")

    def __repr__(self) -> str:
        # Never print key material (STYLE: messages never carry secrets).
        return (
            f"TemporaryExposureKey(rolling_start={self.rolling_start}, "
            f"rolling_period={self.rolling_period})"
        )


def check_key(key_data: bytes, rolling_start: int, rolling_period: int) -> None:
    """Raise unless the fields make a valid key: KS-1 length, KS-2 start, KS-4 period."""
    _check_length(key_data, params.TEK_LENGTH, "KS-1", "temporary exposure key")
    check_interval(rolling_start, "rolling start")
    if (
        isinstance(rolling_period, bool)
        or not isinstance(rolling_period, int)
        or not (params.MIN_ROLLING_PERIOD <= rolling_period <= params.MAX_ROLLING_PERIOD)
    ):
        raise InvalidRollingPeriodError("KS-4: rolling period must be 1..144")
    if rolling_start + rolling_period - 1 > params.MAX_INTERVAL:
        raise InvalidRollingPeriodError("KS-4: key runs past interval 2**32-1")


def new_temporary_exposure_key(random16: bytes, interval: int) -> TemporaryExposureKey:
    """Return the key a device starts at ``interval`` (spec KS-3, KS-4).

    ``random16`` must come from a CSPRNG (KS-1). The key runs to the next UTC midnight.
    """
    _check_length(random16, params.TEK_LENGTH, "KS-1", "temporary exposure key")
    check_interval(interval)
    period = params.INTERVALS_PER_DAY - interval % params.INTERVALS_PER_DAY
    return TemporaryExposureKey(bytes(random16), interval, period)


def cut_for_report(key: TemporaryExposureKey, now_interval: int) -> TemporaryExposureKey:
    """Return ``key`` cut so that its last interval is ``now_interval`` (spec KS-13).

    The cut key is the one to upload once its embargo is over; the caller starts a new key
    at ``now_interval``. A key that already ended is returned whole. Raises
    InvalidRollingPeriodError when ``now_interval`` is before the key's start.
    """
    check_interval(now_interval, "now_interval")
    period = min(now_interval - key.rolling_start + 1, key.rolling_period)
    return TemporaryExposureKey(
        key.key_data, key.rolling_start, period, key.report_type, key.days_since_onset
    )
