"""The advertiser's addresses: fresh non-resolvable private addresses, never one twice (ADV-3).

What to advertise and when is `bluezone.protocol.schedule`; the address comes from the
radio layer's address rules and the node's random source, so it is drawn here.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.reference_node.errors import AddressError
from bluezone.reference_node.radio.address import make_nrpa

RandomBytes = Callable[[int], bytes]

# spec ADV-3: addresses are never reused. A device keeps the ones it used recently (two
# weeks of rotations at 144 a day) to make sure; 46 random bits make a repeat unlikely anyway.
ADDRESS_HISTORY = 14 * params.INTERVALS_PER_DAY
# Draws before giving up on the random source (each fails with probability ~2**-45).
ADDRESS_DRAWS = 16


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
