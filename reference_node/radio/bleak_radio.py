"""The bleak backend: scanning through the operating system's Bluetooth stack.

bleak reaches BlueZ (Linux), CoreBluetooth (macOS) and WinRT (Windows), but only as a
scanner, and each stack filters what it passes on:

- reports are coalesced: BlueZ signals a device's properties when they change, macOS and
  Windows deliver at their own pace, so `per_packet_reports` is False and RSSI samples are
  fewer than the advertisements on air;
- the raw advertising data is not exposed, only the parsed fields: sightings carry the
  service data of our UUID (``service_data``) and ``ad`` is None;
- macOS hides addresses behind per-host UUIDs, so ``address`` is that UUID there.

Scanning is passive where the stack allows it (spec ADV-13: no scan requests). On Linux,
bleak scans passively only through BlueZ's advertisement monitor API
(``org.bluez.AdvertisementMonitorManager1``: BlueZ >= 5.56 with ``bluetoothd
--experimental``, Linux >= 5.10), and only with "or patterns" saying which advertisements
to report; ours is the service data of UUID 0xFD6F. Where BlueZ lacks that API, starting
the scan fails with TransportError rather than falling back to active scanning. Windows
scans passively on request. macOS cannot scan passively at all (CoreBluetooth decides),
so there the radio scans actively and says so: ``capabilities.passive_scanning`` is False.

On Linux a `BluezAdvertiser` can be paired with it (the "ordinary Linux laptop" radio):
it advertises, but BlueZ owns the address (``controls_address`` is False) and the
``address`` argument of `set_advertisement` is ignored.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Literal

from bleak import BleakScanner
from bleak.args.bluez import OrPattern
from bleak.assigned_numbers import AdvertisementDataType
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from bluezone.reference_node.errors import (
    ConfigurationError,
    RadioStateError,
    TransportError,
    UnsupportedOperationError,
)
from bluezone.reference_node.radio.base import (
    RadioCapabilities,
    RadioContext,
    Sighting,
    SightingHub,
    SightingStream,
)
from bluezone.reference_node.vtime.clock import Clock, current_clock

if TYPE_CHECKING:  # dbus-fast exists on Linux only
    from bluezone.reference_node.radio.bluez_advertiser import BluezAdvertiser

logger = logging.getLogger(__name__)

BACKEND = "bleak"
# spec ADV-1: the Exposure Notification service, 16-bit UUID 0xFD6F in 128-bit form.
SERVICE_UUID = "0000fd6f-0000-1000-8000-00805f9b34fb"
# spec ADV-1: the service data AD structure starts with the UUID, little-endian.
SERVICE_UUID16_LE = bytes.fromhex("6ffd")
ScanningMode = Literal["passive", "active"]


def default_scanning_mode(platform: str | None = None) -> ScanningMode:
    """Passive (spec ADV-13) everywhere but macOS, whose stack cannot scan passively."""
    return "active" if (platform or sys.platform) == "darwin" else "passive"


def or_patterns(service_uuid16_le: bytes = SERVICE_UUID16_LE) -> list[OrPattern]:
    """BlueZ's advertisement-monitor pattern for our service data (passive scan, ADV-13).

    BlueZ reports to a passive scan only advertisements matching one of these patterns:
    here, an AD structure of type Service Data - 16-bit UUID whose first bytes are the UUID.
    """
    return [OrPattern(0, AdvertisementDataType.SERVICE_DATA_UUID16, service_uuid16_le)]


class BleakRadio(RadioContext):
    """A scanner on the OS stack, optionally with a BlueZ advertiser (see module docstring).

    ``adapter`` names the BlueZ adapter (``hci1``); other platforms ignore it.
    ``scanning_mode`` is passive by default (spec ADV-13) and active on macOS, which has no
    passive mode; "active" elsewhere sends scan requests, which ADV-13 forbids: it exists
    for stacks without passive scanning (and BlueZ mocks without the monitor API).
    """

    backend = BACKEND

    def __init__(
        self,
        *,
        adapter: str | None = None,
        service_uuid: str = SERVICE_UUID,
        advertiser: BluezAdvertiser | None = None,
        clock: Clock | None = None,
        scanning_mode: ScanningMode | None = None,
    ) -> None:
        self.adapter = adapter
        self.service_uuid = service_uuid
        self.advertiser = advertiser
        self.scanning_mode: ScanningMode = scanning_mode or default_scanning_mode()
        if self.scanning_mode not in ("passive", "active"):
            raise ConfigurationError("scanning_mode is 'passive' or 'active'")
        if self.scanning_mode == "passive" and sys.platform == "darwin":
            raise ConfigurationError("macOS cannot scan passively (CoreBluetooth scans actively)")
        self.capabilities = RadioCapabilities(
            can_advertise=advertiser is not None,
            controls_address=False,
            per_packet_reports=False,
            raw_ad_bytes=False,
            passive_scanning=self.scanning_mode == "passive",
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
        options = self._scanner_options()
        try:
            self._scanner = BleakScanner(self._on_detection, **options)
        except Exception as exc:  # bleak raises per-platform errors when Bluetooth is absent
            raise TransportError(f"cannot open the OS Bluetooth scanner: {exc}") from exc
        if self.advertiser is not None:
            await self.advertiser.start()

    def _scanner_options(self) -> dict[str, Any]:
        """BleakScanner's arguments: passive with BlueZ or-patterns where possible (ADV-13)."""
        bluez: dict[str, Any] = {} if self.adapter is None else {"adapter": self.adapter}
        options: dict[str, Any] = {"scanning_mode": self.scanning_mode, "bluez": bluez}
        if self.scanning_mode == "passive" and sys.platform.startswith("linux"):
            # bleak's BlueZ backend filters a passive scan by or-patterns only (it refuses
            # one without them and ignores service_uuids there); _on_detection filters too.
            bluez["or_patterns"] = or_patterns()
        else:
            options["service_uuids"] = [self.service_uuid]
        return options

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
        """Start OS scanning for our service, passively where the OS can (spec ADV-13)."""
        scanner = self._check_open()
        if not self.scanning:
            try:
                await scanner.start()
            except Exception as exc:  # BleakError, D-Bus errors, OS errors
                hint = ""
                if self.scanning_mode == "passive" and sys.platform.startswith("linux"):
                    hint = (
                        " (ADV-13: passive scanning needs BlueZ's advertisement monitor API:"
                        " BlueZ >= 5.56 with bluetoothd --experimental, Linux >= 5.10)"
                    )
                raise TransportError(f"the OS refused to scan: {exc}{hint}") from exc
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
        if self.service_uuid not in advertisement.service_data and (
            self.service_uuid not in advertisement.service_uuids
        ):
            # Not an exposure-notification advertisement: BlueZ hands a passive scan's
            # callback every device on the adapter, matched or not.
            return
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
