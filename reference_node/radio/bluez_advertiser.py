"""Advertising through BlueZ's D-Bus API (LEAdvertisingManager1), for ordinary Linux hosts.

BlueZ owns the controller, so it builds the advertising PDU from structured properties and
picks and rotates the advertiser address itself: this advertiser cannot keep address and
payload together (spec ADV-3), which `RadioCapabilities.controls_address` says. Each
rotation unregisters the previous LEAdvertisement1 object and registers a new one of type
"broadcast" (non-connectable), so BlueZ restarts the advertising instance.

The payload stays opaque bytes up to here; it is split into its AD structures and each
one mapped to the property BlueZ builds it from: Flags (only "general discoverable"
matters to BlueZ), 16-bit service UUID lists, 16-bit service data, manufacturer data.
Anything else raises UnsupportedOperationError, because BlueZ would not put it on air.
"""

# No "from __future__ import annotations": dbus-fast reads the D-Bus signatures from the
# annotations of the exported methods and properties.

import dataclasses
import itertools
import logging

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from bluezone.reference_node.errors import (
    AdvertisingDataError,
    BluezError,
    RadioError,
    RadioStateError,
    TransportError,
    UnsupportedOperationError,
)
from bluezone.reference_node.radio.base import check_legacy_ad_length

logger = logging.getLogger(__name__)

BLUEZ = "org.bluez"
ADVERTISING_MANAGER = "org.bluez.LEAdvertisingManager1"
OBJECT_PREFIX = "/org/bluezone/advertisement"
# AD types (Bluetooth Assigned Numbers, Common Data Types).
AD_FLAGS = 0x01
AD_INCOMPLETE_UUID16 = 0x02
AD_COMPLETE_UUID16 = 0x03
AD_SERVICE_DATA_UUID16 = 0x16
AD_MANUFACTURER_DATA = 0xFF
FLAG_LE_GENERAL_DISCOVERABLE = 0x02


@dataclasses.dataclass(frozen=True, slots=True)
class BluezAdvertisement:
    """The LEAdvertisement1 properties that carry one advertising payload."""

    service_uuids: tuple[str, ...] = ()
    service_data: tuple[tuple[str, bytes], ...] = ()
    manufacturer_data: tuple[tuple[int, bytes], ...] = ()
    discoverable: bool = False

    @classmethod
    def from_ad(cls, ad: bytes) -> "BluezAdvertisement":
        """Split legacy advertising data into BlueZ properties.

        Raises AdvertisingDataError for malformed or too long data and
        UnsupportedOperationError for AD types BlueZ cannot advertise.
        """
        check_legacy_ad_length(ad)
        uuids: list[str] = []
        service_data: list[tuple[str, bytes]] = []
        manufacturer: list[tuple[int, bytes]] = []
        discoverable = False
        offset = 0
        while offset < len(ad) and ad[offset] != 0:
            length = ad[offset]
            if offset + 1 + length > len(ad):
                raise AdvertisingDataError("an AD structure runs past the end of the data")
            kind, data = ad[offset + 1], ad[offset + 2 : offset + 1 + length]
            offset += 1 + length
            if kind == AD_FLAGS and len(data) == 1:
                discoverable = bool(data[0] & FLAG_LE_GENERAL_DISCOVERABLE)
            elif kind in (AD_INCOMPLETE_UUID16, AD_COMPLETE_UUID16) and len(data) % 2 == 0:
                uuids += [_uuid16(data[i : i + 2]) for i in range(0, len(data), 2)]
            elif kind == AD_SERVICE_DATA_UUID16 and len(data) >= 2:
                service_data.append((_uuid16(data[:2]), bytes(data[2:])))
            elif kind == AD_MANUFACTURER_DATA and len(data) >= 2:
                manufacturer.append((int.from_bytes(data[:2], "little"), bytes(data[2:])))
            else:
                raise UnsupportedOperationError(
                    f"BlueZ cannot advertise AD type 0x{kind:02x} of {len(data)} octets"
                )
        if any(ad[offset:]):
            raise AdvertisingDataError("bytes after the zero length octet are not zero")
        return cls(tuple(uuids), tuple(service_data), tuple(manufacturer), discoverable)


def _uuid16(octets: bytes) -> str:
    return f"{int.from_bytes(octets, 'little'):04x}"


class _AdvertisementObject(ServiceInterface):
    """The org.bluez.LEAdvertisement1 object BlueZ reads an advertisement from."""

    def __init__(self, advertisement: BluezAdvertisement) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self._advertisement = advertisement

    @method()
    def Release(self) -> None:
        logger.debug("BlueZ released an advertisement")

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> "s":  # noqa: F821 (a D-Bus signature, read by dbus-fast)
        return "broadcast"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> "as":  # noqa: F722
        return list(self._advertisement.service_uuids)

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":  # noqa: F722
        return {uuid: Variant("ay", data) for uuid, data in self._advertisement.service_data}

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":  # noqa: F722
        return {
            company: Variant("ay", data) for company, data in self._advertisement.manufacturer_data
        }

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> "b":  # noqa: F821
        return self._advertisement.discoverable


class BluezAdvertiser:
    """Registers our payload with BlueZ's advertising manager on one adapter.

    ``bus_address`` selects a D-Bus bus (default: the system bus BlueZ listens on).
    """

    def __init__(self, adapter: str = "hci0", *, bus_address: str | None = None) -> None:
        self.adapter = adapter
        self._bus_address = bus_address
        self._bus: MessageBus | None = None
        self._path: str | None = None
        self._paths = itertools.count()
        self._closed = False

    @property
    def advertising(self) -> bool:
        """Whether an advertisement is registered."""
        return self._path is not None

    async def start(self) -> None:
        """Connect to the bus."""
        if self._closed:
            raise RadioStateError("the advertiser is closed")
        if self._bus is not None:
            return
        try:
            if self._bus_address is not None:
                bus = MessageBus(bus_address=self._bus_address)
            else:
                bus = MessageBus(bus_type=BusType.SYSTEM)
            self._bus = await bus.connect()
        except Exception as exc:  # dbus-fast raises OSError, AuthError, ... on connect
            raise TransportError(f"cannot connect to D-Bus for BlueZ: {exc}") from exc

    async def close(self) -> None:
        """Unregister the advertisement and disconnect."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._bus is not None and self._path is not None:
                await self._unregister()
        except RadioError as exc:
            logger.warning("could not unregister the advertisement: %s", exc)
        finally:
            if self._bus is not None:
                self._bus.disconnect()

    async def set_advertisement(self, ad: bytes) -> None:
        """Advertise ``ad``: unregister the previous advertisement, register a new one."""
        advertisement = BluezAdvertisement.from_ad(bytes(ad))
        bus = self._check_open()
        if self._path is not None:
            await self._unregister()
        path = f"{OBJECT_PREFIX}{next(self._paths)}"
        bus.export(path, _AdvertisementObject(advertisement))
        try:
            await self._call("RegisterAdvertisement", "oa{sv}", [path, {}])
        except BaseException:
            bus.unexport(path)
            raise
        self._path = path

    async def stop_advertising(self) -> None:
        """Unregister the advertisement (a no-op when none is registered)."""
        self._check_open()
        if self._path is not None:
            await self._unregister()

    async def _unregister(self) -> None:
        assert self._bus is not None and self._path is not None
        path, self._path = self._path, None
        try:
            await self._call("UnregisterAdvertisement", "o", [path])
        finally:
            self._bus.unexport(path)

    async def _call(self, member: str, signature: str, body: list) -> None:
        assert self._bus is not None
        reply = await self._bus.call(
            Message(
                destination=BLUEZ,
                path=f"/org/bluez/{self.adapter}",
                interface=ADVERTISING_MANAGER,
                member=member,
                signature=signature,
                body=body,
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR:
            detail = reply.error_name if reply is not None else "no reply"
            raise BluezError(f"BlueZ {member} on {self.adapter} failed: {detail}")

    def _check_open(self) -> MessageBus:
        if self._closed:
            raise RadioStateError("the advertiser is closed")
        if self._bus is None:
            raise RadioStateError("the advertiser is not started")
        return self._bus
