"""What an advertiser sends and when it changes it (spec ADV-1, ADV-3, KS-6, KS-8).

`AdvertisingSchedule` is the sans-I/O advertiser, in the manner of aioquic's connection:
the caller gives it the time, the day's key and random bytes; it answers what to send now
(`rotate`) and when to call it next (`timer`). The caller sleeps and drives the radio.
"""

from __future__ import annotations

from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import Metadata, derive_rpi, encrypt_aem, interval_number

_JITTER_SCALE = 2**32
_JITTER_BYTES = 4


def uniform_fraction(random4: bytes) -> float:
    """Return a fraction in [0, 1) from 4 random bytes, uniform to 2**-32.

    Raises ProtocolError unless ``random4`` is 4 bytes.
    """
    if not isinstance(random4, bytes | bytearray) or len(random4) != _JITTER_BYTES:
        raise ProtocolError(f"a uniform fraction is drawn from {_JITTER_BYTES} random bytes")
    return int.from_bytes(random4, "big") / _JITTER_SCALE


def rotation_delay(random4: bytes) -> float:
    """Return a delay in [0, 60) seconds from 4 random bytes (spec ADV-3)."""
    return uniform_fraction(random4) * params.ROTATION_JITTER_MAX_S


def change_time(interval: int, delay_s: float) -> float:
    """Return the unix time at which the identifier of ``interval`` goes on air (spec ADV-3)."""
    return interval * params.INTERVAL_SECONDS + delay_s


@dataclass(frozen=True, slots=True)
class Payload:
    """The advertising data of one interval, and the identifier it carries."""

    interval: int
    rpi: bytes
    ad: bytes

    def __repr__(self) -> str:
        return f"Payload(interval={self.interval}, rpi={self.rpi[:2].hex()}…)"


def advertising_payload(
    tek: bytes, interval: int, metadata: Metadata, *, flags: bool = True
) -> Payload:
    """Return the advertising data for ``interval`` under daily key ``tek`` (ADV-1, KS-6, KS-8).

    ``flags`` chooses the 31-byte form (with the Flags structure) or the 28-byte one.
    """
    rpi = derive_rpi(tek, interval)
    aem = encrypt_aem(tek, rpi, bytes(metadata))
    return Payload(interval, rpi, Advertisement(rpi, aem).to_bytes(flags=flags))


class AdvertisingSchedule:
    """The identifier on air and the time it next changes (spec ADV-1, ADV-3).

    Call `rotate` once to start and again whenever `timer` is reached (or at once after a
    re-key, KS-13). Each rotation puts the current interval's identifier on air and draws
    a fresh delay for the next boundary, so changes happen at every interval boundary plus
    0-60 s. The caller changes the address together with the payload (ADV-3).
    """

    def __init__(self, metadata: Metadata, *, flags: bool = True) -> None:
        self._metadata = metadata
        self._flags = flags
        self._on_air: Payload | None = None
        self._next_change_s: float | None = None

    @property
    def on_air(self) -> Payload | None:
        """What the last rotation put on air; None before the first."""
        return self._on_air

    def timer(self) -> float | None:
        """Return the unix time at which to call `rotate` next; None before the first rotation."""
        return self._next_change_s

    def rotate(self, now_s: float, tek: bytes, random4: bytes) -> Payload:
        """Return what to advertise from ``now_s`` on: the identifier of now's interval.

        ``tek`` is the key of that interval (KS-3); ``random4`` are 4 fresh random bytes
        for the delay of the next change (ADV-3). Raises ProtocolError for a time outside
        the interval range or a key that is not 16 bytes.
        """
        interval = interval_number(now_s)
        payload = advertising_payload(tek, interval, self._metadata, flags=self._flags)
        self._next_change_s = change_time(interval + 1, rotation_delay(random4))
        self._on_air = payload
        return payload
