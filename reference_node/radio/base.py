"""The radio interface every backend implements, at advertisement level.

A radio advertises one opaque payload from one random address at a time, swapping both
together (spec ADV-3), and reports every advertisement it hears as a `Sighting`. Backends
say what they can do in `RadioCapabilities` (an OS scanner cannot advertise, an OS
advertiser does not control its address, some stacks coalesce reports or hide raw bytes).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from bluezone.protocol.params import MAX_LEGACY_AD_LENGTH
from bluezone.reference_node.errors import AdvertisingDataError

# A subscriber that falls this many sightings behind loses the oldest ones (counted in
# `SightingStream.dropped`): a radio in a crowd hears thousands of adverts a minute, and an
# unbounded queue would let a stalled consumer exhaust memory.
SIGHTING_QUEUE_LIMIT = 65_536

# HCI address type codes (Core Spec Vol 4 Part E 7.7.65.2 and 7.7.65.13), by name.
ADDRESS_TYPE_NAMES = {
    0x00: "public",
    0x01: "random",
    0x02: "public_identity",
    0x03: "random_identity",
    0xFE: "unresolved_rpa",
    0xFF: "anonymous",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Sighting:
    """One advertisement heard: when, from which address, how loud, and what it carried.

    ``monotonic_time`` is on the running loop's time base (virtual under simulation),
    ``wall_time`` in unix seconds. ``address`` is ``AA:BB:CC:DD:EE:FF``; ``address_type``
    one of ADDRESS_TYPE_NAMES' values. ``rssi`` is in dBm. ``ad`` holds the raw advertising
    data when the backend sees it (``capabilities.raw_ad_bytes``); otherwise
    ``service_data`` holds the service data the OS parsed out for our UUID.
    """

    monotonic_time: float
    wall_time: float
    address: str
    address_type: str
    rssi: int
    ad: bytes | None
    service_data: bytes | None
    backend: str


@dataclasses.dataclass(frozen=True, slots=True)
class RadioCapabilities:
    """What a backend can do.

    can_advertise: it can put our payload on air.
    controls_address: it sets the advertiser address, so payload and address change
        together (spec ADV-3); without it the OS picks and rotates the address.
    per_packet_reports: every advertisement heard yields a sighting (no coalescing).
    raw_ad_bytes: sightings carry the raw advertising data.
    passive_scanning: it scans without sending scan requests (spec ADV-13); False only
        where the stack cannot scan passively at all (bleak on macOS).
    """

    can_advertise: bool
    controls_address: bool
    per_packet_reports: bool
    raw_ad_bytes: bool
    passive_scanning: bool = True


class RadioContext:
    """``async with radio:`` starts a backend and closes it, whatever happens inside."""

    async def start(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def check_legacy_ad_length(ad: bytes) -> None:
    """Raise AdvertisingDataError if ``ad`` is longer than legacy advertising data (ADV-1)."""
    if len(ad) > MAX_LEGACY_AD_LENGTH:
        raise AdvertisingDataError(
            f"legacy advertising data holds at most 31 octets, got {len(ad)}"
        )


@runtime_checkable
class Radio(Protocol):
    """An advertiser and scanner of legacy advertisements.

    Use it as ``async with radio:`` (or call `start` and `close`). Operations on a radio
    that is not started raise RadioStateError; failures of the radio raise RadioError
    subclasses (bluezone.reference_node.errors).
    """

    backend: str
    capabilities: RadioCapabilities

    async def start(self) -> None:
        """Open the radio: reset the controller and prepare advertising and scanning."""
        ...

    async def close(self) -> None:
        """Stop advertising and scanning, end every sighting stream, release the radio."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def set_advertisement(self, ad: bytes, address: bytes | str) -> None:
        """Advertise ``ad`` (at most 31 octets) from random ``address``, atomically.

        No advertisement ever goes out with the new payload and the old address or the
        reverse (spec ADV-3). If a step fails, advertising stays off and the error is raised.
        A backend without ``capabilities.controls_address`` ignores ``address``: the OS
        picks and rotates the address on its own schedule, and ADV-3 cannot be kept.
        """
        ...

    async def stop_advertising(self) -> None:
        """Stop advertising (a no-op when not advertising)."""
        ...

    async def start_scanning(self) -> None:
        """Start passive scanning with duplicate filtering off (spec ADV-13)."""
        ...

    async def stop_scanning(self) -> None:
        """Stop scanning (a no-op when not scanning)."""
        ...

    def sightings(self) -> SightingStream:
        """A new stream of every sighting from now until the radio closes."""
        ...


class SightingStream:
    """An async iterator over sightings, ending when its radio closes or on `close()`.

    One task reads a stream; give each consumer its own (``radio.sightings()``).
    """

    def __init__(self, hub: SightingHub, limit: int) -> None:
        self._hub = hub
        self._queue: collections.deque[Sighting] = collections.deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self.dropped = 0

    def _put(self, sighting: Sighting) -> None:
        if len(self._queue) >= self._limit:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(sighting)
        self._wake()

    def _end(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def get_nowait(self) -> Sighting | None:
        """The next queued sighting, or None if none is queued."""
        return self._queue.popleft() if self._queue else None

    def close(self) -> None:
        """Stop receiving; queued sightings can still be read."""
        self._hub.unsubscribe(self)
        self._end()

    def __aiter__(self) -> AsyncIterator[Sighting]:
        return self

    async def __anext__(self) -> Sighting:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SightingHub:
    """Fans sightings out to every open `SightingStream` of one radio."""

    def __init__(self, limit: int = SIGHTING_QUEUE_LIMIT) -> None:
        self._streams: list[SightingStream] = []
        self._limit = limit
        self._closed = False

    def subscribe(self) -> SightingStream:
        """A new stream; already ended if the hub is closed."""
        stream = SightingStream(self, self._limit)
        if self._closed:
            stream._end()
        else:
            self._streams.append(stream)
        return stream

    def unsubscribe(self, stream: SightingStream) -> None:
        """Stop sending to ``stream`` (no error if it is not subscribed)."""
        if stream in self._streams:
            self._streams.remove(stream)

    def publish(self, sighting: Sighting) -> None:
        """Queue ``sighting`` on every open stream."""
        for stream in self._streams:
            stream._put(sighting)

    def close(self) -> None:
        """End every stream; later subscriptions end at once."""
        self._closed = True
        streams, self._streams = self._streams, []
        for stream in streams:
            stream._end()
