"""Open the radio named on the command line: ``bumble:<transport>``, ``sim``, ``bleak+bluez``.

- ``bumble:<transport>``: any transport bumble opens (``bumble:usb:0``,
  ``bumble:serial:/dev/ttyACM0,1000000``, ``bumble:hci-socket:0``, ``bumble:tcp-client:...``).
- ``sim`` or ``sim:peers=N``: the in-memory medium with N simulated neighbours (2 by default,
  at 1.5 m, 4 m, 10 m, ...) that advertise random exposure-notification payloads and rotate
  them every 10 minutes, so a node on ``sim`` has something to hear.
- ``bleak[:ADAPTER]``: scanning only, through the OS stack (BlueZ, CoreBluetooth, WinRT).
- ``bleak+bluez[:ADAPTER]``: bleak scanning plus advertising through BlueZ's D-Bus API
  (Linux only). BlueZ owns the address, so identifier and address do not change together
  (spec ADV-3); the node warns about it.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.reference_node.errors import NodeConfigError, RadioStateError, RadioUnavailableError
from bluezone.reference_node.node.rotation import AddressSource
from bluezone.reference_node.radio.base import (
    Radio,
    RadioCapabilities,
    RadioContext,
    SightingStream,
)
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium, SimRadio

RADIO_HELP = (
    "bumble:<transport> (e.g. bumble:usb:0, bumble:serial:/dev/ttyACM0, bumble:hci-socket:0), "
    "sim[:peers=N], bleak[:ADAPTER] (scan only) or bleak+bluez[:ADAPTER] (Linux)"
)
DEFAULT_SIM_PEERS = 2
MAX_SIM_PEERS = 100
_PEER_DISTANCES_M = (1.5, 4.0, 10.0, 20.0)


async def open_radio(
    spec: str,
    *,
    snoop: BtSnoopWriter | None = None,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Radio:
    """The radio named by ``spec`` (see the module docstring), not yet started."""
    if spec.startswith("bumble:"):
        from bluezone.reference_node.radio.bumble_radio import BumbleRadio

        return await BumbleRadio.open(spec.removeprefix("bumble:"), snoop=snoop)
    if snoop is not None:
        raise NodeConfigError("an HCI capture (--btsnoop) needs a bumble radio")
    if spec == "sim" or spec.startswith("sim:"):
        return SimNeighbourhood(_sim_peers(spec), random_bytes)
    if spec == "bleak" or spec.startswith(("bleak:", "bleak+bluez")):
        return _bleak_radio(spec)
    raise NodeConfigError(f"unknown radio {spec!r}; expected {RADIO_HELP}")


def _bleak_radio(spec: str) -> Radio:
    """``bleak[:ADAPTER]`` scans only; ``bleak+bluez[:ADAPTER]`` also advertises (Linux)."""
    kind, _, adapter = spec.partition(":")
    if kind not in ("bleak", "bleak+bluez"):
        raise NodeConfigError(f"unknown radio {spec!r}; expected {RADIO_HELP}")
    from bluezone.reference_node.radio.bleak_radio import BleakRadio

    if kind == "bleak":
        return BleakRadio(adapter=adapter or None)
    if not sys.platform.startswith("linux"):
        raise RadioUnavailableError(
            "advertising through BlueZ needs Linux; use bleak (scanning only) or bumble:usb:0"
        )
    from bluezone.reference_node.radio.bluez_advertiser import BluezAdvertiser

    return BleakRadio(adapter=adapter or None, advertiser=BluezAdvertiser(adapter or "hci0"))


def _sim_peers(spec: str) -> int:
    if spec == "sim":
        return DEFAULT_SIM_PEERS
    option = spec.removeprefix("sim:")
    name, _, value = option.partition("=")
    if name != "peers" or not value.isdigit() or not 0 <= int(value) <= MAX_SIM_PEERS:
        raise NodeConfigError(f"sim takes peers=N (0..{MAX_SIM_PEERS}), got {option!r}")
    return int(value)


class SimNeighbourhood(RadioContext):
    """A `SimRadio` for the node on a medium of its own, shared with simulated neighbours.

    Each neighbour advertises a random identifier and metadata (it is nobody the node could
    ever match) from a fresh address, changing both every 10 minutes.
    """

    backend = "sim"
    capabilities = RadioCapabilities(
        can_advertise=True, controls_address=True, per_packet_reports=True, raw_ad_bytes=True
    )

    def __init__(self, peers: int, random_bytes: Callable[[int], bytes]) -> None:
        self._peers = peers
        self._random_bytes = random_bytes
        self.medium: SimMedium | None = None
        self._radio: SimRadio | None = None
        self._peer_radios: list[SimRadio] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Make the medium, join it, and start the neighbours."""
        if self._radio is not None:
            return
        channel = Channel(PathLossModel(), random.Random(self._random_bytes(8)))
        channel.place("node", Placement(Position(0.0, 0.0)))
        for n in range(self._peers):
            distance = _PEER_DISTANCES_M[n % len(_PEER_DISTANCES_M)] * (1 + n // 4)
            channel.place(f"peer{n}", Placement(Position(distance, 0.0)))
        self.medium = SimMedium(channel)
        self._radio = self.medium.radio("node")
        await self._radio.start()
        addresses = AddressSource(self._random_bytes)
        for n in range(self._peers):
            peer = self.medium.radio(f"peer{n}")
            await peer.start()
            self._peer_radios.append(peer)
            task = asyncio.get_running_loop().create_task(self._advertise(peer, addresses))
            self._tasks.append(task)

    async def _advertise(self, peer: SimRadio, addresses: AddressSource) -> None:
        while True:
            advertisement = Advertisement(
                self._random_bytes(params.RPI_LENGTH), self._random_bytes(params.AEM_LENGTH)
            )
            await peer.set_advertisement(bytes(advertisement), addresses.draw())
            await asyncio.sleep(params.INTERVAL_SECONDS)

    async def close(self) -> None:
        """Stop the neighbours and leave the medium."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for peer in self._peer_radios:
            await peer.close()
        if self._radio is not None:
            await self._radio.close()

    def _node(self) -> SimRadio:
        if self._radio is None:
            raise RadioStateError("the radio is not started")
        return self._radio

    async def set_advertisement(self, ad: bytes, address: bytes | str) -> None:
        """See `Radio.set_advertisement`."""
        await self._node().set_advertisement(ad, address)

    async def stop_advertising(self) -> None:
        """See `Radio.stop_advertising`."""
        await self._node().stop_advertising()

    async def start_scanning(self) -> None:
        """See `Radio.start_scanning`."""
        await self._node().start_scanning()

    async def stop_scanning(self) -> None:
        """See `Radio.stop_scanning`."""
        await self._node().stop_scanning()

    def sightings(self) -> SightingStream:
        """See `Radio.sightings`."""
        return self._node().sightings()
