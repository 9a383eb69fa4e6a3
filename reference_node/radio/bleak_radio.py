"""The bleak backend: scanning through the operating system's Bluetooth stack.

bleak reaches BlueZ (Linux), CoreBluetooth (macOS) and WinRT (Windows), but only as a
scanner, and each stack filters what it passes on:

- reports are coalesced: BlueZ signals a device's properties when they change, macOS and
  Windows deliver at their own pace, so `per_packet_reports` is False and RSSI samples are
  fewer than the advertisements on air;
- the raw advertising data is not exposed, only the parsed fields: sightings carry the
  service data of our UUID (``service_data``) and ``ad`` is None;
- macOS hides addresses behind per-host UUIDs, so ``address`` is that UUID there.

On Linux a `BluezAdvertiser` can be paired with it (the "ordinary Linux laptop" radio):
it advertises, but BlueZ owns the address (``controls_address`` is False) and the
``address`` argument of `set_advertisement` is ignored.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from reference_node.errors import RadioStateError, TransportError, UnsupportedOperationError
from reference_node.radio.base import RadioCapabilities, Sighting, SightingHub, SightingStream
from reference_node.vclock import Clock, current_clock

if TYPE_CHECKING:  # dbus-fast exists on Linux only
    from reference_node.radio.bluez_advertiser import BluezAdvertiser

logger = logging.getLogger(__name__)

BACKEND = "bleak"
# spec ADV-1: the Exposure Notification service, 16-bit UUID 0xFD6F in 128-bit form.
SERVICE_UUID = "0000fd6f-0000-1000-8000-00805f9b34fb"


class BleakRadio:
    """A scanner on the OS stack, optionally with a BlueZ advertiser (see module docstring).

    ``adapter`` names the BlueZ adapter (``hci1``); other platforms ignore it.
    """

    backend = BACKEND

    def __init__(
        self,
        *,
        adapter: str | None = None,
        service_uuid: str = SERVICE_UUID,
        advertiser: BluezAdvertiser | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.adapter = adapter
        self.service_uuid = service_uuid
        self.advertiser = advertiser
        self.capabilities = RadioCapabilities(
            can_advertise=advertiser is not None,
            controls_address=False,
            per_packet_reports=False,
            raw_ad_bytes=False,
        )
        self._clock = clock
        self._hub = SightingHub()
        self._scanner: BleakScanner | None = None
        self.scanning = False
        self._closed = False

    async def start(self) -> None:
        """Create the OS scanner (and start the advertiser, if any)."""
        if self._closed:
            raise RadioStateError("the radio is closed")
        if self._scanner is not None:
            return
        self._clock = self._clock or current_clock()
        options: dict[str, Any] = {"service_uuids": [self.service_uuid]}
        if self.adapter is not None:
            options["bluez"] = {"adapter": self.adapter}
        try:
            self._scanner = BleakScanner(self._on_detection, **options)
        except Exception as exc:  # bleak raises per-platform errors when Bluetooth is absent
            raise TransportError(f"cannot open the OS Bluetooth scanner: {exc}") from exc
        if self.advertiser is not None:
            await self.advertiser.start()

    async def close(self) -> None:
        """Stop scanning and advertising, end the sighting streams."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.scanning and self._scanner is not None:
                await self._scanner.stop()
        finally:
            self.scanning = False
            self._hub.close()
            if self.advertiser is not None:
                await self.advertiser.close()

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

    async def set_advertisement(self, ad: bytes, address: bytes | str) -> None:
        """Advertise ``ad`` through BlueZ; ``address`` is ignored (BlueZ owns it)."""
        self._check_open()
        if self.advertiser is None:
            raise UnsupportedOperationError("this radio only scans (bleak cannot advertise)")
        await self.advertiser.set_advertisement(ad)

    async def stop_advertising(self) -> None:
        """Stop advertising (a no-op when not advertising or without an advertiser)."""
        self._check_open()
        if self.advertiser is not None:
            await self.advertiser.stop_advertising()

    async def start_scanning(self) -> None:
        """Start OS scanning for our service (spec ADV-13, as far as the OS allows)."""
        scanner = self._check_open()
        if not self.scanning:
            try:
                await scanner.start()
            except Exception as exc:  # BleakError, D-Bus errors, OS errors
                raise TransportError(f"the OS refused to scan: {exc}") from exc
            self.scanning = True

    async def stop_scanning(self) -> None:
        """Stop scanning (a no-op when not scanning)."""
        scanner = self._check_open()
        if self.scanning:
            await scanner.stop()
            self.scanning = False

    def sightings(self) -> SightingStream:
        """A new stream of every report from now until the radio closes."""
        return self._hub.subscribe()

    def _on_detection(self, device: BLEDevice, advertisement: AdvertisementData) -> None:
        clock = self._clock or current_clock()
        details = device.details if isinstance(device.details, dict) else {}
        address_type = details.get("props", {}).get("AddressType", "unknown")
        self._hub.publish(
            Sighting(
                monotonic_time=clock.monotonic(),
                wall_time=clock.wall(),
                address=device.address,
                address_type=str(address_type),
                rssi=advertisement.rssi,
                ad=None,
                service_data=advertisement.service_data.get(self.service_uuid),
                backend=BACKEND,
            )
        )

    def _check_open(self) -> BleakScanner:
        if self._closed:
            raise RadioStateError("the radio is closed")
        if self._scanner is None:
            raise RadioStateError("the radio is not started")
        return self._scanner
