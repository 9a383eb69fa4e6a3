"""The errors of the pure library: one base class, one subclass per kind of failure.

Every class carries ``code``, the error name the spec defines (spec/00-conventions.md,
CONV-4). Vectors and the interop adapter protocol use those names, never message text.
Messages name the rule and the offending length or field, never a key or identifier.
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base class of every error raised by ``protocol``."""

    code = "protocol_error"


class InvalidKeyError(ProtocolError):
    """A temporary exposure key or a derived key has the wrong length (KS-1)."""

    code = "invalid_key"


class InvalidIntervalError(ProtocolError):
    """An interval number is outside 0..2**32-1 or a time is negative (KS-2)."""

    code = "invalid_interval"


class InvalidRollingPeriodError(ProtocolError):
    """A rolling period is outside 1..144, or the key runs past the last interval (KS-4)."""

    code = "invalid_rolling_period"


class InvalidMetadataError(ProtocolError):
    """Metadata is not 4 bytes or a field is out of range (KS-9)."""

    code = "invalid_metadata"


class UnsupportedVersionError(ProtocolError):
    """Metadata carries a major version other than 1 (KS-10)."""

    code = "unsupported_version"


class ImplausibleTxPowerError(ProtocolError):
    """Decrypted TX power is outside the plausible range (MATCH-7)."""

    code = "implausible_tx_power"


class EmbargoedKeyError(ProtocolError):
    """A diagnosis key is used before its period ended plus the embargo (KS-12, MATCH-8)."""

    code = "embargoed_key"


class AdvertisementError(ProtocolError):
    """Base class of advertising-data decoding failures (spec section 2)."""

    code = "invalid_advertisement"


class AdTooLongError(AdvertisementError):
    """Advertising data is longer than 31 bytes (ADV-4)."""

    code = "ad_too_long"


class AdTruncatedError(AdvertisementError):
    """An AD structure's length runs past the end of the data (ADV-5)."""

    code = "ad_truncated"


class AdPaddingError(AdvertisementError):
    """Bytes after the zero length octet are not all zero (ADV-6)."""

    code = "ad_nonzero_padding"


class AdDuplicateStructureError(AdvertisementError):
    """An AD type the decoder reads appears more than once (ADV-7)."""

    code = "ad_duplicate_structure"


class AdBadFlagsError(AdvertisementError):
    """A Flags structure does not hold exactly one octet (ADV-8)."""

    code = "ad_bad_flags"


class AdMissingServiceUuidError(AdvertisementError):
    """No Complete List of 16-bit Service UUIDs naming 0xFD6F, or a malformed list (ADV-9)."""

    code = "ad_missing_service_uuid"


class AdMissingServiceDataError(AdvertisementError):
    """No Service Data structure for UUID 0xFD6F (ADV-10)."""

    code = "ad_missing_service_data"


class AdServiceDataLengthError(AdvertisementError):
    """Service data for 0xFD6F is not exactly 20 octets after the UUID (ADV-11)."""

    code = "ad_service_data_length"
