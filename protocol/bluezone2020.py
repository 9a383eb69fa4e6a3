"""The Bluezone 2020 profile: the legacy app's identifiers, advertisement and contact check.

Spec appendix A1 (BZ20 rules). Read-only: BLIDs are derived to recognise them, the Android
advertisement is decoded strictly, and a device's legacy sightings are matched against the
daily keys of an F0 push. The encoder exists for simulations; nothing here is meant to be
broadcast (BZ20-1). Times are unix seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, TypeGuard

from bluezone.protocol import params
from bluezone.protocol.advertisement import ad_structures, keep_structure, uuid_list_flaw
from bluezone.protocol.errors import (
    AdTooLongError,
    Bz2020BlidLengthError,
    Bz2020KeyError,
    Bz2020MissingManufacturerDataError,
    Bz2020MissingServiceUuidError,
    Bz2020PushError,
    Bz2020SlotsError,
    Bz2020TimeError,
)

_DAY = params.SECONDS_PER_DAY
_UUID = params.BZ20_SERVICE_UUID16.to_bytes(2, "little")
_COMPANY = params.BZ20_COMPANY_ID.to_bytes(2, "little")
_FLAGS = bytes([2, params.AD_TYPE_FLAGS, params.AD_FLAGS_VALUE])
_UUID_LIST = bytes([3, params.AD_TYPE_COMPLETE_UUID16_LIST]) + _UUID
_MANUFACTURER_HEADER = (
    bytes([3 + params.BZ20_BLID_LENGTH, params.AD_TYPE_MANUFACTURER_DATA]) + _COMPANY
)


# --- Identifier schedule (BZ20-2..BZ20-4) -----------------------------------------------------


def check_key(key: bytes, what: str = "base key") -> bytes:
    """Return ``key`` if it is 32 bytes (spec BZ20-2), else raise Bz2020KeyError."""
    if not isinstance(key, bytes) or len(key) != params.BZ20_KEY_LENGTH:
        size = len(key) if isinstance(key, bytes | bytearray) else "?"
        raise Bz2020KeyError(f"BZ20-2: a {what} is 32 bytes, got {size}")
    return key


def check_slots_per_day(slots_per_day: int) -> int:
    """Return the slot length in seconds (spec BZ20-4); Bz2020SlotsError if invalid."""
    if (
        not isinstance(slots_per_day, int)
        or isinstance(slots_per_day, bool)
        or not 1 <= slots_per_day <= params.BZ20_MAX_SLOTS_PER_DAY
        or _DAY % slots_per_day
    ):
        raise Bz2020SlotsError(
            f"BZ20-4: slots per day must divide 86400 and lie in 1..1440, got {slots_per_day!r}"
        )
    return _DAY // slots_per_day


def _check_time(value: float, what: str) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= params.BZ20_MAX_TIME
    ):
        raise Bz2020TimeError(f"BZ20-4: {what} must be unix seconds in 0..2^32-1")
    return value


def _check_midnight(value: int, what: str) -> int:
    _check_time(value, what)
    if not isinstance(value, int) or value % _DAY:
        raise Bz2020TimeError(f"BZ20-4: {what} must be a UTC midnight (a multiple of 86400)")
    return value


def next_daily_key(daily_key: bytes) -> bytes:
    """The daily key of the next day: SHA-256 of this one (spec BZ20-2)."""
    return sha256(daily_key).digest()


def daily_key(base_key: bytes, days: int) -> bytes:
    """``DK_days``: the base key hashed ``days`` times (spec BZ20-2); days >= 0."""
    key = check_key(base_key)
    for _ in range(days):
        key = next_daily_key(key)
    return key


def first_subkey(daily_key: bytes) -> bytes:
    """``S_0 = SHA-256(DK || "bluzonesubkey")`` (spec BZ20-3)."""
    return sha256(check_key(daily_key, "daily key") + params.BZ20_SUBKEY_SALT).digest()


def blid_of_subkey(subkey: bytes) -> bytes:
    """The 12 bytes of a sub-key at the fixed offsets of spec BZ20-3."""
    return bytes(subkey[offset] for offset in params.BZ20_BLID_OFFSETS)


def blids(daily_key: bytes, count: int) -> list[bytes]:
    """``BLID_0 .. BLID_(count-1)`` of a daily key (spec BZ20-3)."""
    subkey = first_subkey(daily_key)
    found = []
    for _ in range(count):
        found.append(blid_of_subkey(subkey))
        subkey = sha256(subkey).digest()
    return found


def blid_of_slot(daily_key: bytes, slot: int) -> bytes:
    """``BLID_slot`` of a daily key (spec BZ20-3); slot >= 0."""
    return blids(daily_key, slot + 1)[slot]


@dataclass(frozen=True, slots=True)
class BlidAt:
    """What a legacy phone broadcast at a time: the BLID, its day's key, day and slot."""

    blid: bytes
    daily_key: bytes
    day: int
    slot: int


def blid_at(
    base_key: bytes,
    install_day: int,
    time_s: float,
    slots_per_day: int = params.BZ20_SLOTS_PER_DAY_V3,
) -> BlidAt:
    """The BLID a phone with ``base_key`` broadcast at ``time_s`` (spec BZ20-2..BZ20-4).

    ``install_day`` is the unix time of the install day's UTC midnight. Checks run in the
    order key, slots, time; raises Bz2020KeyError, Bz2020SlotsError or Bz2020TimeError.
    """
    check_key(base_key)
    slot_length = check_slots_per_day(slots_per_day)
    _check_midnight(install_day, "install day")
    _check_time(time_s, "time")
    if time_s < install_day:
        raise Bz2020TimeError("BZ20-4: the time is before the install day")
    day = int((time_s - install_day) // _DAY)
    slot = int((time_s % _DAY) // slot_length)
    key = daily_key(base_key, day)
    return BlidAt(blid_of_slot(key, slot), key, day, slot)


# --- The Android advertisement (BZ20-5..BZ20-8) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LegacyAdvertisement:
    """The Android app's advertisement: a 12-byte BLID (spec BZ20-5)."""

    blid: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.blid, bytes) or len(self.blid) != params.BZ20_BLID_LENGTH:
            raise Bz2020BlidLengthError("BZ20-8: a BLID is 12 bytes")

    def __bytes__(self) -> bytes:
        """The 23 bytes this profile's encoder writes: Flags, manufacturer data, UUID list."""
        return _FLAGS + _MANUFACTURER_HEADER + self.blid + _UUID_LIST

    @classmethod
    def from_bytes(cls, ad: bytes) -> LegacyAdvertisement:
        """Parse advertising data strictly (spec BZ20-6..BZ20-8, ADV-4..ADV-8).

        Raises AdvertisementError subclasses for the structure walk and Bz2020Error
        subclasses for the profile's own checks.
        """
        if len(ad) > params.MAX_LEGACY_AD_LENGTH:
            raise AdTooLongError(f"ADV-4: advertising data is {len(ad)} bytes, over 31")
        found = _read_structures(bytes(ad))
        _check_uuid_list(found.get(params.AD_TYPE_COMPLETE_UUID16_LIST))
        data = found.get(params.AD_TYPE_MANUFACTURER_DATA)
        if data is None:
            raise Bz2020MissingManufacturerDataError(
                "BZ20-8: no manufacturer data for company 0x22B5"
            )
        if len(data) != params.BZ20_BLID_LENGTH:
            raise Bz2020BlidLengthError(
                f"BZ20-8: manufacturer data is {len(data)} bytes after the company id, not 12"
            )
        return cls(data)


def _read_structures(ad: bytes) -> dict[int, bytes]:
    """Walk the AD structures as ADV-5..ADV-8 (spec BZ20-6); keep the types read."""
    found: dict[int, bytes] = {}
    for ad_type, data in ad_structures(ad):
        _keep_structure(found, ad_type, data)
    return found


def _keep_structure(found: dict[int, bytes], ad_type: int, data: bytes) -> None:
    if ad_type == params.AD_TYPE_MANUFACTURER_DATA:
        if len(data) < 2:
            raise Bz2020BlidLengthError("BZ20-6: manufacturer data too short for a company id")
        if data[:2] != _COMPANY:
            return  # spec BZ20-6: other companies' data is ignored
        data = data[2:]
    elif ad_type not in (params.AD_TYPE_FLAGS, params.AD_TYPE_COMPLETE_UUID16_LIST):
        return  # spec BZ20-6: other AD types are ignored
    keep_structure(found, ad_type, data)


def _check_uuid_list(uuids: bytes | None) -> None:
    """Spec BZ20-7: a complete list of whole 16-bit UUIDs naming 0x4E56."""
    flaw = uuid_list_flaw(uuids, _UUID)
    if flaw is not None:
        raise Bz2020MissingServiceUuidError(f"BZ20-7: {flaw}")


# --- The F0 push and the contact check (BZ20-10, BZ20-11) ------------------------------------


@dataclass(frozen=True, slots=True)
class F0Key:
    """One entry of an F0 push: a daily key, the period to check, the slots per day."""

    daily_key: bytes
    time_start: int
    time_end: int
    slots_per_day: int

    def __post_init__(self) -> None:
        # spec BZ20-10: key, slots, time, in that order.
        check_key(self.daily_key, "daily key")
        check_slots_per_day(self.slots_per_day)
        _check_midnight(self.time_start, "time_start")
        _check_time(self.time_end, "time_end")
        if not isinstance(self.time_end, int) or self.time_end < self.time_start:
            raise Bz2020TimeError("BZ20-10: time_end must be an integer not before time_start")

    @classmethod
    def from_json(cls, entry: object) -> F0Key:
        """Read one push entry ``{daily_key, time_start, time_end, max}`` (spec BZ20-10)."""
        if not isinstance(entry, Mapping):
            raise Bz2020PushError("BZ20-10: a push entry is a JSON object")
        key, start, end, slots = (entry.get(name) for name in _ENTRY_FIELDS)
        if not (isinstance(key, str) and _is_int(start) and _is_int(end) and _is_int(slots)):
            raise Bz2020PushError(
                "BZ20-10: an entry needs a hex daily_key and integer time_start, time_end, max"
            )
        try:
            key_bytes = bytes.fromhex(key)
        except ValueError:
            raise Bz2020PushError("BZ20-10: daily_key is not hex") from None
        return cls(key_bytes, start, end, slots)


_ENTRY_FIELDS = ("daily_key", "time_start", "time_end", "max")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_f0_push(info: object) -> tuple[F0Key, ...]:
    """Read a push's ``InfoF`` object ``{"data": [entry, ...]}`` (spec BZ20-10).

    Takes the decoded JSON value; raises a Bz2020Error subclass for any bad part.
    """
    entries = info.get("data") if isinstance(info, Mapping) else None
    if not isinstance(entries, list):
        raise Bz2020PushError('BZ20-10: a push is an object {"data": [entries]}')
    if len(entries) > params.BZ20_MAX_PUSH_ENTRIES:
        raise Bz2020PushError(f"BZ20-10: a push holds at most 1024 entries, got {len(entries)}")
    return tuple(F0Key.from_json(entry) for entry in entries)


@dataclass(frozen=True, slots=True)
class LegacySighting:
    """A legacy BLID heard at ``time_s`` unix seconds (spec BZ20-11, BZ20-12)."""

    blid: bytes
    time_s: float

    def __post_init__(self) -> None:
        if not isinstance(self.blid, bytes) or len(self.blid) != params.BZ20_BLID_LENGTH:
            raise Bz2020BlidLengthError("BZ20-11: a BLID is 12 bytes")
        _check_time(self.time_s, "a sighting's time")


def match_legacy(
    keys: Sequence[F0Key], sightings: Sequence[LegacySighting]
) -> list[tuple[int, int]]:
    """The (key index, sighting index) pairs that match, each once (spec BZ20-11).

    A sighting matches a key when its BLID is the key's BLID of the exact slot holding its
    time, in a slot that starts no later than the key's ``time_end``. Work per key is one
    hash per day between its start and the last sighting, plus one per slot up to the
    latest slot with a sighting on each such day.
    """
    pairs: list[tuple[int, int]] = []
    for key_index, key in enumerate(keys):
        pairs.extend((key_index, s) for s in _matches_of_key(key, sightings))
    return sorted(pairs)


def _matches_of_key(key: F0Key, sightings: Sequence[LegacySighting]) -> Iterable[int]:
    slot_length = _DAY // key.slots_per_day
    wanted: dict[int, dict[int, list[int]]] = {}  # day -> slot -> sighting indices
    for index, sighting in enumerate(sightings):
        offset = sighting.time_s - key.time_start
        if offset < 0:
            continue
        j = int(offset // slot_length)
        if key.time_start + j * slot_length > key.time_end:
            continue
        day, slot = divmod(j, key.slots_per_day)
        wanted.setdefault(day, {}).setdefault(slot, []).append(index)
    daily, day_of_key = key.daily_key, 0
    for day in sorted(wanted):
        for _ in range(day - day_of_key):
            daily = next_daily_key(daily)
        day_of_key = day
        slots = wanted[day]
        day_blids = blids(daily, max(slots) + 1)
        for slot, indices in slots.items():
            yield from (i for i in indices if sightings[i].blid == day_blids[slot])


def push_json(keys: Iterable[F0Key]) -> dict[str, Any]:
    """The ``InfoF`` object of a push for ``keys``, as the app's server sent it (BZ20-10)."""
    return {
        "data": [
            {
                "daily_key": key.daily_key.hex().upper(),
                "time_start": key.time_start,
                "time_end": key.time_end,
                "max": key.slots_per_day,
            }
            for key in keys
        ]
    }
