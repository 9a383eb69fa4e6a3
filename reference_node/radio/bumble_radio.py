"""The bumble backend: advertising and scanning through raw HCI on any bumble transport.

It opens whatever bumble opens (``usb:0``, ``serial:/dev/ttyACM0``, ``hci-socket:0``, ...)
or takes an already-open transport or an in-process controller (the virtual link). Only
raw HCI lets the host set the advertiser address and payload together (spec ADV-3):

- Legacy commands (the default when the controller has them): LE Set Advertising
  Parameters once (ADV_NONCONN_IND, random own address, 200-270 ms, spec ADV-2); each
  rotation is Advertising Enable(off), LE Set Random Address, LE Set Advertising Data,
  Advertising Enable(on). A controller refuses LE Set Random Address while legacy
  advertising or scanning is on (Core Spec Vol 4 Part E 7.8.4), so scanning pauses for
  the few commands of a rotation and resumes after.
- Extended commands (when the controller has only those, or on request): one advertising
  set with legacy non-connectable PDUs; each rotation is Extended Advertising Enable(off),
  LE Set Advertising Set Random Address, LE Set Extended Advertising Data, Enable(on).
- Scanning is passive with duplicate filtering off (spec ADV-13); every LE (Extended)
  Advertising Report of an advertisement becomes a `Sighting` with the raw AD bytes.

A controller rejects legacy commands after any extended one (Vol 4 Part E 3.1.1), and
bumble's reset sequence reads two extended parameters when offered, so the host here
hides those commands from it. HCI failures raise HciCommandError, transports that cannot
open raise TransportError.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from typing import Any, Self

from bumble import hci
from bumble.host import Host
from bumble.transport import open_transport
from bumble.transport.common import Transport, TransportLostError

from bluezone.protocol.params import (
    ADVERTISING_INTERVAL_MAX_MS,
    ADVERTISING_INTERVAL_MIN_MS,
)
from bluezone.reference_node.errors import (
    ConfigurationError,
    HciCommandError,
    RadioStateError,
    TransportError,
)
from bluezone.reference_node.radio.address import parse_address
from bluezone.reference_node.radio.base import (
    ADDRESS_TYPE_NAMES,
    RadioCapabilities,
    RadioContext,
    Sighting,
    SightingHub,
    SightingStream,
    check_legacy_ad_length,
)
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter, SnoopingSink, SnoopingSource
from bluezone.reference_node.radio.hci_rules import EXTENDED_ADVERTISING_COMMANDS
from bluezone.reference_node.vtime.clock import Clock, current_clock

logger = logging.getLogger(__name__)
_bumble_host_logger = logging.getLogger("bumble.host")

BACKEND = "bumble"
INTERVAL_UNIT_MS = 0.625
# Core Spec Vol 4 Part E 7.8.5 and 7.8.10: allowed advertising and scan interval ranges.
LEGACY_INTERVAL_RANGE = (0x0020, 0x4000)
SCAN_INTERVAL_RANGE = (0x0004, 0x4000)
RSSI_NOT_AVAILABLE = 127

_AdvType = hci.HCI_LE_Set_Advertising_Parameters_Command.AdvertisingType
_Props = hci.HCI_LE_Set_Extended_Advertising_Parameters_Command.AdvertisingProperties
_ExtData = hci.HCI_LE_Set_Extended_Advertising_Data_Command
_LegacyEvent = hci.HCI_LE_Advertising_Report_Event.EventType
_ExtEvent = hci.HCI_LE_Extended_Advertising_Report_Event.EventType
_ExtReport = hci.HCI_LE_Extended_Advertising_Report_Event.Report
_ADVERTISEMENT_EVENTS = (
    _LegacyEvent.ADV_IND,
    _LegacyEvent.ADV_SCAN_IND,
    _LegacyEvent.ADV_NONCONN_IND,
)

_LEGACY_NEEDED = (
    hci.HCI_LE_SET_ADVERTISING_PARAMETERS_COMMAND,
    hci.HCI_LE_SET_ADVERTISING_DATA_COMMAND,
    hci.HCI_LE_SET_ADVERTISING_ENABLE_COMMAND,
    hci.HCI_LE_SET_SCAN_PARAMETERS_COMMAND,
    hci.HCI_LE_SET_SCAN_ENABLE_COMMAND,
)
_EXTENDED_NEEDED = (
    hci.HCI_LE_SET_ADVERTISING_SET_RANDOM_ADDRESS_COMMAND,
    hci.HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS_COMMAND,
    hci.HCI_LE_SET_EXTENDED_ADVERTISING_DATA_COMMAND,
    hci.HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE_COMMAND,
    hci.HCI_LE_SET_EXTENDED_SCAN_PARAMETERS_COMMAND,
    hci.HCI_LE_SET_EXTENDED_SCAN_ENABLE_COMMAND,
)


class CommandSet(enum.StrEnum):
    """Which advertising and scanning commands to use."""

    AUTO = "auto"  # legacy if the controller lists them, else extended
    LEGACY = "legacy"
    EXTENDED = "extended"


@dataclasses.dataclass(frozen=True, slots=True)
class BumbleRadioConfig:
    """Settings of the bumble backend (times in ms and s); ConfigurationError if invalid.

    Scan window equal to the scan interval means listening all the time while scanning.
    ``commands`` takes a CommandSet or its string value.
    """

    advertising_interval_min_ms: float = ADVERTISING_INTERVAL_MIN_MS  # spec ADV-2
    advertising_interval_max_ms: float = ADVERTISING_INTERVAL_MAX_MS  # spec ADV-2
    scan_interval_ms: float = 100.0
    scan_window_ms: float = 100.0
    commands: CommandSet = CommandSet.AUTO
    advertising_handle: int = 0
    command_timeout_s: float = 5.0
    reset_timeout_s: float = 30.0  # a driver may load firmware during the reset

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "commands", CommandSet(self.commands))
        except ValueError:
            raise ConfigurationError(f"unknown command set {self.commands!r}") from None
        low, high = self.advertising_interval_units
        interval, window = self.scan_units
        if low > high:
            raise ConfigurationError("advertising interval minimum exceeds its maximum")
        if window > interval:
            raise ConfigurationError("scan window exceeds the scan interval")
        if not 0 <= self.advertising_handle <= 0xEF:
            raise ConfigurationError("advertising handle is outside 0x00-0xEF")

    @property
    def advertising_interval_units(self) -> tuple[int, int]:
        """Advertising interval minimum and maximum in 0.625 ms units."""
        return (
            _units(self.advertising_interval_min_ms, LEGACY_INTERVAL_RANGE, "advertising"),
            _units(self.advertising_interval_max_ms, LEGACY_INTERVAL_RANGE, "advertising"),
        )

    @property
    def scan_units(self) -> tuple[int, int]:
        """Scan interval and window in 0.625 ms units."""
        return (
            _units(self.scan_interval_ms, SCAN_INTERVAL_RANGE, "scan"),
            _units(self.scan_window_ms, SCAN_INTERVAL_RANGE, "scan"),
        )


def _units(ms: float, limits: tuple[int, int], what: str) -> int:
    value = round(ms / INTERVAL_UNIT_MS)
    if not limits[0] <= value <= limits[1]:
        raise ConfigurationError(f"{what} interval {ms} ms is outside the range HCI allows")
    return value


class _Host(Host):
    """bumble's Host without the extended advertising reads in its reset sequence."""

    def supports_command(self, op_code: int) -> bool:
        if op_code in EXTENDED_ADVERTISING_COMMANDS:
            return False
        return super().supports_command(op_code)

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        # bumble formats every packet into its debug log line even when debug logging is
        # off, which is most of the cost of an advertising report; skip it for events.
        if isinstance(packet, hci.HCI_Event) and not _bumble_host_logger.isEnabledFor(
            logging.DEBUG
        ):
            self.on_hci_event_packet(packet)
            return
        super().on_hci_packet(packet)

    def controller_supports(self, op_code: int) -> bool:
        """Whether the controller lists ``op_code`` among its supported commands."""
        return super().supports_command(op_code)


class BumbleRadio(RadioContext):
    """A `Radio` on an HCI controller driven by bumble (see the module docstring).

    Build it with `open` (a transport name) or `from_controller`.
    ``snoop`` records the HCI traffic in btsnoop format; ``clock`` stamps sightings
    (default: the running loop's clock, virtual under `vclock`).
    """

    backend = BACKEND
    capabilities = RadioCapabilities(
        can_advertise=True, controls_address=True, per_packet_reports=True, raw_ad_bytes=True
    )

    def __init__(
        self,
        source: Any,
        sink: Any,
        *,
        config: BumbleRadioConfig | None = None,
        clock: Clock | None = None,
        snoop: BtSnoopWriter | None = None,
        transport: Transport | None = None,
    ) -> None:
        if snoop is not None:
            source, sink = SnoopingSource(source, snoop), SnoopingSink(sink, snoop)
        self._source = source
        self._sink = sink
        self._transport = transport
        self.config = config or BumbleRadioConfig()
        self._clock = clock
        self._host: _Host | None = None
        self._hub = SightingHub()
        self._lock = asyncio.Lock()
        self.command_set: CommandSet | None = None
        self.advertising = False
        self.scanning = False
        self._closed = False

    @classmethod
    async def open(cls, transport_name: str, **kwargs: Any) -> Self:
        """Open the bumble transport ``transport_name`` (closed with the radio)."""
        try:
            transport = await open_transport(transport_name)
        except Exception as exc:  # bumble raises many kinds, all mean "cannot open"
            raise TransportError(f"cannot open HCI transport {transport_name!r}: {exc}") from exc
        return cls(transport.source, transport.sink, transport=transport, **kwargs)

    @classmethod
    def from_controller(cls, controller: Any, **kwargs: Any) -> Self:
        """Use an in-process bumble controller, such as a `VirtualController`."""
        return cls(controller, controller, **kwargs)

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Reset the controller, choose the command set, set advertising/scan parameters."""
        if self._closed:
            raise RadioStateError("the radio is closed")
        if self._host is not None:
            return
        self._clock = self._clock or current_clock()
        host = _Host(controller_source=self._source, controller_sink=self._sink)
        host.on("advertising_report", self._on_report)
        self._host = host
        try:
            await self._reset(host)
            self.command_set = self._choose_command_set(host)
            if self.command_set is CommandSet.LEGACY:
                await self._configure_legacy()
            else:
                await self._configure_extended()
        except BaseException:
            host.remove_listener("advertising_report", self._on_report)
            self._host = None
            raise

    async def _reset(self, host: _Host) -> None:
        try:
            async with asyncio.timeout(self.config.reset_timeout_s):
                await host.reset()
        except hci.HCI_Error as exc:
            raise HciCommandError("HCI_Reset sequence", exc.error_code, exc.error_name) from exc
        except TimeoutError as exc:
            raise HciCommandError("HCI_Reset sequence", None, "no response") from exc

    async def close(self) -> None:
        """Stop advertising and scanning, end the sighting streams, close an owned transport."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._host is not None:
                async with self._lock:
                    await self._stop_advertising()
                    await self._stop_scanning()
        except (HciCommandError, TransportError) as exc:
            logger.warning("could not stop the radio cleanly: %s", exc)
        finally:
            if self._host is not None:
                self._host.remove_listener("advertising_report", self._on_report)
            self._hub.close()
            if self._transport is not None:
                await self._transport.close()

    # -- advertising ------------------------------------------------------------------

    async def set_advertisement(self, ad: bytes, address: bytes | str) -> None:
        """Advertise ``ad`` from random ``address``; both change together (spec ADV-3)."""
        self._check_open()
        check_legacy_ad_length(ad)
        hci_address = hci.Address(
            bytes(reversed(parse_address(address))), hci.Address.RANDOM_DEVICE_ADDRESS
        )
        async with self._lock:
            await self._stop_advertising()
            if self.command_set is CommandSet.LEGACY:
                await self._rotate_legacy(bytes(ad), hci_address)
            else:
                await self._rotate_extended(bytes(ad), hci_address)

    async def stop_advertising(self) -> None:
        """Stop advertising (a no-op when not advertising)."""
        self._check_open()
        async with self._lock:
            await self._stop_advertising()

    async def _rotate_legacy(self, ad: bytes, address: hci.Address) -> None:
        # spec ADV-3: disable, set address, set data, enable. Scanning must be off while
        # the random address changes (Core Spec Vol 4 Part E 7.8.4).
        resume_scanning = self.scanning
        if resume_scanning:
            await self._stop_scanning()
        try:
            await self._send(hci.HCI_LE_Set_Random_Address_Command(random_address=address))
            await self._send(hci.HCI_LE_Set_Advertising_Data_Command(advertising_data=ad))
            await self._send(hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=1))
            self.advertising = True
        finally:
            if resume_scanning:
                await self._start_scanning()

    async def _rotate_extended(self, ad: bytes, address: hci.Address) -> None:
        # spec ADV-3: disable the set, set its address, set its data, enable it.
        handle = self.config.advertising_handle
        await self._send(
            hci.HCI_LE_Set_Advertising_Set_Random_Address_Command(
                advertising_handle=handle, random_address=address
            )
        )
        await self._send(
            _ExtData(
                advertising_handle=handle,
                operation=_ExtData.Operation.COMPLETE_DATA,
                fragment_preference=(
                    hci.HCI_LE_Set_Extended_Advertising_Parameters_Command.SHOULD_NOT_FRAGMENT
                ),
                advertising_data=ad,
            )
        )
        await self._send(self._extended_enable(1))
        self.advertising = True

    async def _stop_advertising(self) -> None:
        if not self.advertising:
            return
        if self.command_set is CommandSet.LEGACY:
            await self._send(hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=0))
        else:
            await self._send(self._extended_enable(0))
        self.advertising = False

    def _extended_enable(self, enable: int) -> hci.HCI_LE_Set_Extended_Advertising_Enable_Command:
        return hci.HCI_LE_Set_Extended_Advertising_Enable_Command(
            enable=enable,
            advertising_handles=[self.config.advertising_handle],
            durations=[0],
            max_extended_advertising_events=[0],
        )

    # -- scanning ---------------------------------------------------------------------

    async def start_scanning(self) -> None:
        """Start passive scanning with duplicate filtering off (spec ADV-13)."""
        self._check_open()
        async with self._lock:
            await self._start_scanning()

    async def stop_scanning(self) -> None:
        """Stop scanning (a no-op when not scanning)."""
        self._check_open()
        async with self._lock:
            await self._stop_scanning()

    def sightings(self) -> SightingStream:
        """A new stream of every advertisement heard from now until the radio closes."""
        return self._hub.subscribe()

    async def _start_scanning(self) -> None:
        if self.scanning:
            return
        if self.command_set is CommandSet.LEGACY:
            command: hci.HCI_SyncCommand = hci.HCI_LE_Set_Scan_Enable_Command(
                le_scan_enable=1, filter_duplicates=0
            )
        else:
            command = hci.HCI_LE_Set_Extended_Scan_Enable_Command(
                enable=1, filter_duplicates=0, duration=0, period=0
            )
        await self._send(command)
        self.scanning = True

    async def _stop_scanning(self) -> None:
        if not self.scanning:
            return
        if self.command_set is CommandSet.LEGACY:
            command: hci.HCI_SyncCommand = hci.HCI_LE_Set_Scan_Enable_Command(
                le_scan_enable=0, filter_duplicates=0
            )
        else:
            command = hci.HCI_LE_Set_Extended_Scan_Enable_Command(
                enable=0, filter_duplicates=0, duration=0, period=0
            )
        await self._send(command)
        self.scanning = False

    def _on_report(self, report: Any) -> None:
        """Turn one advertising report into a sighting (spec ADV-13)."""
        if isinstance(report, _ExtReport):
            event_type = report.event_type
            data_status = (event_type >> 5) & 0b11
            if event_type & (_ExtEvent.SCAN_RESPONSE | _ExtEvent.DIRECTED_ADVERTISING):
                return
            if data_status != hci.HCI_LE_Extended_Advertising_Report_Event.DATA_COMPLETE:
                return  # fragments of long extended adverts: never ours (31 octets)
        elif report.event_type not in _ADVERTISEMENT_EVENTS:
            return  # scan responses and directed adverts carry no advertising data
        if report.rssi == RSSI_NOT_AVAILABLE:
            return
        clock = self._clock or current_clock()
        self._hub.publish(
            Sighting(
                monotonic_time=clock.monotonic(),
                wall_time=clock.wall(),
                address=report.address.to_string(with_type_qualifier=False),
                address_type=ADDRESS_TYPE_NAMES.get(
                    report.address_type, f"0x{report.address_type:02x}"
                ),
                rssi=report.rssi,
                ad=bytes(report.data),
                service_data=None,
                backend=BACKEND,
            )
        )

    # -- HCI --------------------------------------------------------------------------

    def _choose_command_set(self, host: _Host) -> CommandSet:
        wanted = self.config.commands
        if wanted is not CommandSet.AUTO:
            return wanted
        if all(host.controller_supports(op) for op in _LEGACY_NEEDED):
            return CommandSet.LEGACY
        if all(host.controller_supports(op) for op in _EXTENDED_NEEDED):
            return CommandSet.EXTENDED
        # Some controllers list their commands wrongly; every LE controller has these.
        return CommandSet.LEGACY

    async def _configure_legacy(self) -> None:
        cfg = self.config
        await self._send(
            hci.HCI_LE_Set_Advertising_Parameters_Command(
                advertising_interval_min=cfg.advertising_interval_units[0],
                advertising_interval_max=cfg.advertising_interval_units[1],
                advertising_type=_AdvType.ADV_NONCONN_IND,  # spec ADV-2
                own_address_type=hci.OwnAddressType.RANDOM,
                peer_address_type=hci.Address.PUBLIC_DEVICE_ADDRESS,
                peer_address=hci.Address.ANY,
                advertising_channel_map=0x07,
                advertising_filter_policy=0,
            )
        )
        await self._send(
            hci.HCI_LE_Set_Scan_Parameters_Command(
                le_scan_type=hci.HCI_LE_Set_Scan_Parameters_Command.PASSIVE_SCANNING,
                le_scan_interval=cfg.scan_units[0],
                le_scan_window=cfg.scan_units[1],
                # passive scanning sends nothing, so the own address is never on air
                own_address_type=hci.OwnAddressType.PUBLIC,
                scanning_filter_policy=0,
            )
        )

    async def _configure_extended(self) -> None:
        cfg = self.config
        params = hci.HCI_LE_Set_Extended_Advertising_Parameters_Command
        await self._send(
            params(
                advertising_handle=cfg.advertising_handle,
                advertising_event_properties=_Props.USE_LEGACY_ADVERTISING_PDUS,  # spec ADV-2
                primary_advertising_interval_min=cfg.advertising_interval_units[0],
                primary_advertising_interval_max=cfg.advertising_interval_units[1],
                primary_advertising_channel_map=0x07,
                own_address_type=hci.OwnAddressType.RANDOM,
                peer_address_type=hci.Address.PUBLIC_DEVICE_ADDRESS,
                peer_address=hci.Address.ANY,
                advertising_filter_policy=0,
                advertising_tx_power=params.TX_POWER_NO_PREFERENCE,
                primary_advertising_phy=hci.Phy.LE_1M,
                secondary_advertising_max_skip=0,
                secondary_advertising_phy=hci.Phy.LE_1M,
                advertising_sid=0,
                scan_request_notification_enable=0,
            )
        )
        await self._send(
            hci.HCI_LE_Set_Extended_Scan_Parameters_Command(
                own_address_type=hci.OwnAddressType.PUBLIC,
                scanning_filter_policy=0,
                scanning_phys=1,  # LE 1M: legacy advertisements are only sent there
                scan_types=[hci.HCI_LE_Set_Extended_Scan_Parameters_Command.PASSIVE_SCANNING],
                scan_intervals=[cfg.scan_units[0]],
                scan_windows=[cfg.scan_units[1]],
            )
        )

    async def _send(self, command: hci.HCI_SyncCommand) -> Any:
        assert self._host is not None
        try:
            return await self._host.send_sync_command(
                command, response_timeout=self.config.command_timeout_s
            )
        except hci.HCI_Error as exc:
            raise HciCommandError(command.name, exc.error_code, exc.error_name) from exc
        except TimeoutError as exc:
            raise HciCommandError(command.name, None, "no response") from exc
        except TransportLostError as exc:
            raise TransportError(f"HCI transport lost during {command.name}") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise RadioStateError("the radio is closed")
        if self._host is None:
            raise RadioStateError("the radio is not started")
