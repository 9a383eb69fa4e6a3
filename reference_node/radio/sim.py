"""The ``sim`` backend: an in-memory broadcast medium, cheap enough for hundreds of nodes.

No HCI, no bumble: each `SimRadio` advertises on a `SimMedium`, which runs advertising
events as discrete events on a scheduler (the running asyncio loop by default, so under
`vclock.VirtualTimeEventLoop` a simulated day takes seconds) and delivers each event once
to every scanning radio, with an RSSI from the same `Channel` the bumble virtual link uses.

Timing follows a BLE controller: at each `set_advertisement` the radio sends at once, then
every advInterval (drawn in the configured range, 200-270 ms by default, spec ADV-2) plus a
0-10 ms advDelay. While no radio scans, advertisers keep no timers at all; when scanning
starts each resumes at a random phase within its interval, which is what a scanner joining
a real channel sees. That keeps idle stretches (most of a duty-cycled day) free.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import random
from collections.abc import Callable
from typing import Any, Protocol

from bluezone.protocol.params import (
    ADVERTISING_INTERVAL_MAX_MS,
    ADVERTISING_INTERVAL_MIN_MS,
)
from bluezone.reference_node.errors import RadioStateError
from bluezone.reference_node.radio.address import format_address, parse_address
from bluezone.reference_node.radio.base import (
    RadioCapabilities,
    RadioContext,
    Sighting,
    SightingHub,
    SightingStream,
    check_legacy_ad_length,
)
from bluezone.reference_node.radio.channel import Channel
from bluezone.reference_node.vtime.clock import Clock, clock_for

BACKEND = "sim"
# Core Spec Vol 6 Part B 4.4.2.2: advDelay, 0-10 ms per advertising event.
ADV_DELAY_MAX_S = 0.010


class TimerHandle(Protocol):
    """What a scheduler returns for a scheduled call."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Time and timers for the medium; an asyncio event loop is one."""

    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[..., object], *args: Any) -> TimerHandle: ...


@dataclasses.dataclass(frozen=True, slots=True)
class SimRadioConfig:
    """Advertising timing of a simulated radio (spec ADV-2)."""

    advertising_interval_min_ms: float = ADVERTISING_INTERVAL_MIN_MS
    advertising_interval_max_ms: float = ADVERTISING_INTERVAL_MAX_MS


class SimMedium:
    """The shared air of simulated radios.

    ``scheduler`` defaults to the running event loop and ``clock`` to that loop's clock
    (both looked up on first use). ``transmissions`` counts advertising events per node.
    """

    def __init__(
        self,
        channel: Channel,
        *,
        scheduler: Scheduler | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.channel = channel
        self._scheduler = scheduler
        self._clock = clock
        self._radios: dict[str, SimRadio] = {}
        self._scanners: dict[SimRadio, None] = {}
        self._advertisers: dict[SimRadio, None] = {}
        self.transmissions: collections.Counter[str] = collections.Counter()

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler driving the medium."""
        if self._scheduler is None:
            self._scheduler = asyncio.get_running_loop()
        return self._scheduler

    @property
    def clock(self) -> Clock:
        """The clock stamping sightings."""
        if self._clock is None:
            scheduler = self.scheduler
            if not isinstance(scheduler, asyncio.AbstractEventLoop):
                raise RadioStateError("a medium with a custom scheduler needs a clock")
            self._clock = clock_for(scheduler)
        return self._clock

    def radio(
        self, node: str, config: SimRadioConfig | None = None, rng: random.Random | None = None
    ) -> SimRadio:
        """A new radio for ``node`` (placed on the channel) on this medium."""
        self.channel.placement(node)
        return SimRadio(self, node, config or SimRadioConfig(), rng or self.channel.rng)

    @property
    def anyone_scanning(self) -> bool:
        """Whether any radio on the medium is scanning."""
        return bool(self._scanners)

    def _attach(self, radio: SimRadio) -> None:
        if self._radios.get(radio.node, radio) is not radio:
            raise RadioStateError(f"node {radio.node!r} already has a radio on this medium")
        self._radios[radio.node] = radio

    def _detach(self, radio: SimRadio) -> None:
        self._scanning(radio, False)
        self._advertising(radio, False)
        self._radios.pop(radio.node, None)

    def _scanning(self, radio: SimRadio, on: bool) -> None:
        was_idle = not self._scanners
        if on:
            self._scanners[radio] = None
        else:
            self._scanners.pop(radio, None)
        if was_idle and self._scanners:
            for advertiser in self._advertisers:
                advertiser._resume()
        elif not was_idle and not self._scanners:
            for advertiser in self._advertisers:
                advertiser._suspend()

    def _advertising(self, radio: SimRadio, on: bool) -> None:
        if on:
            self._advertisers[radio] = None
        else:
            self._advertisers.pop(radio, None)

    def _transmit(self, sender: SimRadio, ad: bytes, address: str) -> None:
        tx = sender.node
        self.transmissions[tx] += 1
        monotonic, wall = self.clock.monotonic(), self.clock.wall()
        sample_rssi = self.channel.sample_rssi
        for receiver in self._scanners:
            if receiver is sender:
                continue
            rssi = sample_rssi(tx, receiver.node)
            if rssi is not None:
                receiver._hub.publish(
                    Sighting(monotonic, wall, address, "random", rssi, ad, None, BACKEND)
                )


class SimRadio(RadioContext):
    """A `Radio` on a `SimMedium` (make it with `SimMedium.radio`)."""

    backend = BACKEND
    capabilities = RadioCapabilities(
        can_advertise=True, controls_address=True, per_packet_reports=True, raw_ad_bytes=True
    )

    def __init__(
        self, medium: SimMedium, node: str, config: SimRadioConfig, rng: random.Random
    ) -> None:
        self.medium = medium
        self.node = node
        self.config = config
        self._rng = rng
        self._hub = SightingHub()
        self._payload: tuple[bytes, str] | None = None
        self._timer: TimerHandle | None = None
        self._interval_s = 0.0
        self._next_time = 0.0
        self.advertising = False
        self.scanning = False
        self._started = False
        self._closed = False

    async def start(self) -> None:
        """Join the medium."""
        if self._closed:
            raise RadioStateError("the radio is closed")
        if not self._started:
            self.medium._attach(self)
            self._started = True

    async def close(self) -> None:
        """Stop advertising and scanning, leave the medium, end the sighting streams."""
        if self._closed:
            return
        self._closed = True
        self._cancel_timer()
        self.advertising = self.scanning = False
        if self._started:
            self.medium._detach(self)
        self._hub.close()

    async def set_advertisement(self, ad: bytes, address: bytes | str) -> None:
        """Advertise ``ad`` from ``address``; both change in one step (spec ADV-3)."""
        self._check_open()
        check_legacy_ad_length(ad)
        self._payload = (bytes(ad), format_address(parse_address(address)))
        self._cancel_timer()
        low = self.config.advertising_interval_min_ms / 1000
        high = self.config.advertising_interval_max_ms / 1000
        self._interval_s = self._rng.uniform(low, max(low, high))
        self.advertising = True
        self.medium._advertising(self, True)
        if self.medium.anyone_scanning:
            self._schedule(self.medium.scheduler.time())

    async def stop_advertising(self) -> None:
        """Stop advertising (a no-op when not advertising)."""
        self._check_open()
        self._cancel_timer()
        self.advertising = False
        self.medium._advertising(self, False)

    async def start_scanning(self) -> None:
        """Start hearing every advertisement on the medium (spec ADV-13)."""
        self._check_open()
        self.scanning = True
        self.medium._scanning(self, True)

    async def stop_scanning(self) -> None:
        """Stop scanning (a no-op when not scanning)."""
        self._check_open()
        self.scanning = False
        self.medium._scanning(self, False)

    def sightings(self) -> SightingStream:
        """A new stream of every advertisement heard from now until the radio closes."""
        return self._hub.subscribe()

    def _schedule(self, when: float) -> None:
        self._next_time = when
        self._timer = self.medium.scheduler.call_at(when, self._on_advertising_event)

    def _resume(self) -> None:
        self._cancel_timer()
        now = self.medium.scheduler.time()
        self._schedule(now + self._rng.uniform(0.0, self._interval_s))

    def _suspend(self) -> None:
        self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_advertising_event(self) -> None:
        if not self.advertising or self._payload is None:
            return
        ad, address = self._payload
        self.medium._transmit(self, ad, address)
        delay = self._rng.uniform(0.0, ADV_DELAY_MAX_S)
        self._schedule(self._next_time + self._interval_s + delay)

    def _check_open(self) -> None:
        if self._closed:
            raise RadioStateError("the radio is closed")
        if not self._started:
            raise RadioStateError("the radio is not started")
