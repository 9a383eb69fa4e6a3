"""What the advertiser sends and when it changes it (spec ADV-1, ADV-3, KS-6, KS-8).

Pure pieces the node's rotation loop uses: the change time of an interval boundary with its
random delay, the advertising data of an interval, and a source of fresh non-resolvable
private addresses that never hands out the same address twice.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.keys import Metadata, derive_rpi, encrypt_aem
from bluezone.reference_node.errors import AddressError
from bluezone.reference_node.radio.address import make_nrpa

RandomBytes = Callable[[int], bytes]

# spec ADV-3: addresses are never reused. A device keeps the ones it used recently (two
# weeks of rotations at 144 a day) to make sure; 46 random bits make a repeat unlikely anyway.
ADDRESS_HISTORY = 14 * params.INTERVALS_PER_DAY
# Draws before giving up on the random source (each fails with probability ~2**-45).
ADDRESS_DRAWS = 16
_JITTER_SCALE = 2**32


def uniform_fraction(random4: bytes) -> float:
    """A fraction in [0, 1) from 4 random bytes, uniform to 2**-32."""
    if len(random4) != 4:
        raise ValueError("a uniform fraction is drawn from 4 random bytes")
    return int.from_bytes(random4, "big") / _JITTER_SCALE


def rotation_delay(random4: bytes) -> float:
    """A delay in [0, 60) seconds from 4 random bytes (spec ADV-3)."""
    return uniform_fraction(random4) * params.ROTATION_JITTER_MAX_S


def change_time(interval: int, delay_s: float) -> float:
    """Unix time at which the identifier of ``interval`` goes on air (spec ADV-3)."""
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
    """The advertising data for ``interval`` under daily key ``tek`` (spec ADV-1, KS-6, KS-8).

    ``flags`` chooses the 31-byte form (with the Flags structure) or the 28-byte one.
    """
    rpi = derive_rpi(tek, interval)
    aem = encrypt_aem(tek, rpi, bytes(metadata))
    return Payload(interval, rpi, Advertisement(rpi, aem).to_bytes(flags=flags))


class AddressSource:
    """Fresh random non-resolvable private addresses, never one handed out before (ADV-2, ADV-3)."""

    def __init__(self, random_bytes: RandomBytes) -> None:
        self._random_bytes = random_bytes
        self._recent: collections.OrderedDict[str, None] = collections.OrderedDict()

    def draw(self) -> str:
        """A new address, ``AA:BB:CC:DD:EE:FF``. Raises AddressError if the source is stuck."""
        for _ in range(ADDRESS_DRAWS):
            try:
                address = make_nrpa(self._random_bytes(6))
            except AddressError:
                continue
            if address in self._recent:
                continue
            self._recent[address] = None
            if len(self._recent) > ADDRESS_HISTORY:
                self._recent.popitem(last=False)
            return address
        raise AddressError(f"ADV-3: no fresh address in {ADDRESS_DRAWS} draws from the source")
