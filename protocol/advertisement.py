"""The BLE advertising data codec (spec/02-advertisement.md).

``Advertisement.from_bytes`` parses strictly, ``bytes(adv)`` serialises the 31-byte form.
Checks run in the order the spec fixes (ADV-4, then each structure for ADV-5..8, then
ADV-9, ADV-10, ADV-11), so every malformed input has exactly one expected error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.errors import (
    AdBadFlagsError,
    AdDuplicateStructureError,
    AdMissingServiceDataError,
    AdMissingServiceUuidError,
    AdPaddingError,
    AdServiceDataLengthError,
    AdTooLongError,
    AdTruncatedError,
)

_UUID = params.SERVICE_UUID16.to_bytes(2, "little")
_FLAGS = bytes([2, params.AD_TYPE_FLAGS, params.AD_FLAGS_VALUE])
_UUID_LIST = bytes([3, params.AD_TYPE_COMPLETE_UUID16_LIST]) + _UUID
_SERVICE_DATA_HEADER = (
    bytes([3 + params.SERVICE_DATA_LENGTH, params.AD_TYPE_SERVICE_DATA_UUID16]) + _UUID
)


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What an exposure-notification advertisement carries: the RPI and the AEM (ADV-1)."""

    rpi: bytes
    aem: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.rpi, bytes) or len(self.rpi) != params.RPI_LENGTH:
            raise AdServiceDataLengthError(f"ADV-1: RPI must be {params.RPI_LENGTH} bytes")
        if not isinstance(self.aem, bytes) or len(self.aem) != params.AEM_LENGTH:
            raise AdServiceDataLengthError(f"ADV-1: AEM must be {params.AEM_LENGTH} bytes")

    @property
    def service_data(self) -> bytes:
        """The 20 service-data bytes after the UUID: RPI || AEM (spec ADV-1)."""
        return self.rpi + self.aem

    def to_bytes(self, *, flags: bool = True) -> bytes:
        """Return the advertising data: 31 bytes with Flags, 28 without (spec ADV-1)."""
        body = _UUID_LIST + _SERVICE_DATA_HEADER + self.rpi + self.aem
        return _FLAGS + body if flags else body

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def from_bytes(cls, ad: bytes) -> Advertisement:
        """Parse advertising data strictly (spec ADV-4 to ADV-12).

        Raises a subclass of AdvertisementError naming the rule that the input breaks.
        """
        if len(ad) > params.MAX_LEGACY_AD_LENGTH:
            raise AdTooLongError(f"ADV-4: advertising data is {len(ad)} bytes, over 31")
        found = _read_structures(bytes(ad))
        _check_uuid_list(found.get(params.AD_TYPE_COMPLETE_UUID16_LIST))
        service_data = found.get(params.AD_TYPE_SERVICE_DATA_UUID16)
        if service_data is None:
            raise AdMissingServiceDataError("ADV-10: no service data for UUID 0xFD6F")
        if len(service_data) != params.SERVICE_DATA_LENGTH:
            raise AdServiceDataLengthError(
                f"ADV-11: service data is {len(service_data)} bytes after the UUID, not 20"
            )
        return cls(service_data[: params.RPI_LENGTH], service_data[params.RPI_LENGTH :])


def ad_structures(ad: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield each AD structure's (type, data) in order (spec ADV-5, ADV-6).

    A structure is yielded before the next one is read, so a caller's check of an earlier
    structure raises before a later truncation does. Raises AdTruncatedError for a length
    past the end and AdPaddingError for non-zero bytes after a zero length octet.
    """
    offset = 0
    while offset < len(ad):
        length = ad[offset]
        if length == 0:
            if any(ad[offset:]):
                raise AdPaddingError("ADV-6: non-zero bytes after the zero length octet")
            return
        end = offset + 1 + length
        if end > len(ad):
            raise AdTruncatedError(
                f"ADV-5: structure at offset {offset} claims {length} bytes, "
                f"{len(ad) - offset - 1} remain"
            )
        yield ad[offset + 1], ad[offset + 2 : end]
        offset = end


def _read_structures(ad: bytes) -> dict[int, bytes]:
    """Walk the AD structures (ADV-5..8, ADV-12); return the data of the types we read.

    Service data is keyed by its AD type only when it is for 0xFD6F, with the UUID removed.
    """
    found: dict[int, bytes] = {}
    for ad_type, data in ad_structures(ad):
        _keep_structure(found, ad_type, data)
    return found


def _keep_structure(found: dict[int, bytes], ad_type: int, data: bytes) -> None:
    if ad_type == params.AD_TYPE_SERVICE_DATA_UUID16:
        if len(data) < 2:
            raise AdServiceDataLengthError("ADV-11: service data too short to hold a UUID")
        if data[:2] != _UUID:
            return  # spec ADV-10: service data for other UUIDs is ignored
        data = data[2:]
    elif ad_type not in (params.AD_TYPE_FLAGS, params.AD_TYPE_COMPLETE_UUID16_LIST):
        return  # spec ADV-12: other AD types are ignored
    keep_structure(found, ad_type, data)


def keep_structure(found: dict[int, bytes], ad_type: int, data: bytes) -> None:
    """Record a structure a decoder reads: each AD type once (ADV-7), Flags of 1 byte (ADV-8)."""
    if ad_type in found:
        raise AdDuplicateStructureError(f"ADV-7: AD type 0x{ad_type:02x} appears twice")
    if ad_type == params.AD_TYPE_FLAGS and len(data) != 1:
        raise AdBadFlagsError(f"ADV-8: Flags hold {len(data)} bytes, not 1")
    found[ad_type] = data


def uuid_list_flaw(uuids: bytes | None, uuid: bytes) -> str | None:
    """Why ``uuids`` is not a complete list of whole 16-bit UUIDs naming ``uuid``, else None.

    The rule of ADV-9, which BZ20-7 applies to another UUID.
    """
    if uuids is None:
        return "no Complete List of 16-bit Service UUIDs"
    if not uuids or len(uuids) % 2:
        return f"UUID list of {len(uuids)} bytes"
    if uuid not in (uuids[i : i + 2] for i in range(0, len(uuids), 2)):
        return f"UUID list does not name 0x{int.from_bytes(uuid, 'little'):04X}"
    return None


def _check_uuid_list(uuids: bytes | None) -> None:
    """Spec ADV-9: a complete list of 16-bit UUIDs, whole UUIDs only, naming 0xFD6F."""
    flaw = uuid_list_flaw(uuids, _UUID)
    if flaw is not None:
        raise AdMissingServiceUuidError(f"ADV-9: {flaw}")
