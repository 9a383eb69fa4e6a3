"""A virtual BLE link and controller for bumble, with a path-loss channel.

bumble's stock `LocalLink` and `Controller` let whole stacks run in one process, but for
advertising they get three things wrong for us: every report has RSSI -50, every advert is
reported twice (the second time as a fake scan response), and legacy non-connectable
advertising (ADV_NONCONN_IND, what exposure notification uses) never goes on air. Their
advertising timer also reads the interval in the wrong unit. `VirtualLink` and
`VirtualController` fix these:

- each advertisement reaches each scanning controller once, with an RSSI drawn from the
  `Channel` (log-distance path loss with shadowing, see channel.py), or not at all if
  below sensitivity;
- legacy PDUs go on air by advertising type (ADV_IND, ADV_SCAN_IND, ADV_NONCONN_IND), from
  legacy commands or from an extended set with legacy PDUs;
- advertising events follow the spec's timing (advInterval chosen in the range at enable,
  plus a 0-10 ms advDelay per event, Core Spec Vol 6 Part B 4.4.2.2) on the event loop's
  clock, so under `vclock.VirtualTimeEventLoop` an hour of advertising runs in seconds;
- scanning with legacy commands yields LE Advertising Reports, with extended commands
  LE Extended Advertising Reports; duplicate filtering is honoured when asked for.

The controller also enforces rules real controllers enforce, so host bugs show up in tests:
LE Set Random Address is disallowed while legacy advertising or scanning is enabled
(Core Spec Vol 4 Part E 7.8.4), advertising parameters cannot change while advertising,
enabling advertising from a random address that was never set is invalid, and legacy and
extended advertising/scanning commands cannot be mixed between resets (Vol 4 Part E 3.1.1).
Scan responses, periodic advertising and scan windows are not modelled: a scanning
controller listens continuously.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import random
from typing import Any

from bumble import hci, ll
from bumble import link as bumble_link
from bumble.controller import AdvertisingSet, Controller, LegacyAdvertiser

from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.bumble_radio import BumbleRadio, BumbleRadioConfig
from bluezone.reference_node.radio.channel import Channel
from bluezone.reference_node.radio.hci_rules import (
    EXTENDED_ADVERTISING_COMMANDS,
    LEGACY_ADVERTISING_COMMANDS,
)
from bluezone.reference_node.vtime.clock import Clock

logger = logging.getLogger(__name__)
_bumble_controller_logger = logging.getLogger("bumble.controller")

# Core Spec Vol 6 Part B 4.4.2.2: advDelay is a pseudo-random 0-10 ms added to each event.
ADV_DELAY_MAX_S = 0.010
# Core Spec Vol 4 Part E 7.8.5: interval unit, and the default when the host sets none.
INTERVAL_UNIT_S = 0.000625
DEFAULT_ADVERTISING_INTERVAL = 0x0800
# Entries the duplicate filter remembers before it starts over (real controllers keep a
# small table too; our radios never turn filtering on).
DUPLICATE_FILTER_SIZE = 1024

_AdvType = hci.HCI_LE_Set_Advertising_Parameters_Command.AdvertisingType
_Props = hci.HCI_LE_Set_Extended_Advertising_Parameters_Command.AdvertisingProperties
_LegacyEvent = hci.HCI_LE_Advertising_Report_Event.EventType
_NO_ADI = 0xFF  # legacy PDUs carry no advertising set id
_TX_POWER_NOT_AVAILABLE = (
    hci.HCI_LE_Extended_Advertising_Report_Event.TX_POWER_INFORMATION_NOT_AVAILABLE
)
_ExtEvent = hci.HCI_LE_Extended_Advertising_Report_Event.EventType


@dataclasses.dataclass
class AdvScanInd(ll.AdvertisingPdu):
    """ADV_SCAN_IND: scannable, non-connectable (bumble's ll module has no class for it)."""

    advertiser_address: hci.Address
    data: bytes


_LEGACY_PDUS = (ll.AdvInd, AdvScanInd, ll.AdvNonConnInd)
# PDU class -> (LE Advertising Report event type, LE Extended Advertising Report event type)
_REPORT_TYPES: dict[type, tuple[int, int]] = {
    ll.AdvInd: (
        _LegacyEvent.ADV_IND,
        _ExtEvent.LEGACY_ADVERTISING_PDU_USED
        | _ExtEvent.CONNECTABLE_ADVERTISING
        | _ExtEvent.SCANNABLE_ADVERTISING,
    ),
    AdvScanInd: (
        _LegacyEvent.ADV_SCAN_IND,
        _ExtEvent.LEGACY_ADVERTISING_PDU_USED | _ExtEvent.SCANNABLE_ADVERTISING,
    ),
    ll.AdvNonConnInd: (_LegacyEvent.ADV_NONCONN_IND, _ExtEvent.LEGACY_ADVERTISING_PDU_USED),
    ll.AdvExtInd: (-1, 0),
}


def _legacy_pdu(connectable: bool, scannable: bool, address: hci.Address, data: bytes):
    if connectable:
        return ll.AdvInd(advertiser_address=address, data=data)
    if scannable:
        return AdvScanInd(advertiser_address=address, data=data)
    return ll.AdvNonConnInd(advertiser_address=address, data=data)


class VirtualLink(bumble_link.LocalLink):
    """A bumble link whose advertisements propagate through a `Channel`.

    Controllers are visited in the order they joined, so a seeded channel gives the same
    run every time (the stock link keeps them in a set). ``advertisements_sent`` counts
    advertising events per node.
    """

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel
        self._ordered: dict[Controller, None] = {}
        self.advertisements_sent: collections.Counter[str] = collections.Counter()

    def add_controller(self, controller: Controller) -> None:
        super().add_controller(controller)
        self._ordered[controller] = None

    def remove_controller(self, controller: Controller) -> None:
        super().remove_controller(controller)
        self._ordered.pop(controller, None)

    def radio(
        self,
        node: str,
        *,
        config: BumbleRadioConfig | None = None,
        snoop: BtSnoopWriter | None = None,
        clock: Clock | None = None,
        **controller_options: Any,
    ) -> BumbleRadio:
        """A bumble radio (not yet started) on a new `VirtualController` for ``node``.

        ``controller_options`` go to `VirtualController`. Call it in a running event loop.
        """
        controller = VirtualController(node, self, **controller_options)
        return BumbleRadio.from_controller(controller, config=config, snoop=snoop, clock=clock)

    def send_advertising_pdu(self, sender_controller: Controller, packet: ll.AdvertisingPdu):
        """Deliver an advertisement once to each listening controller, with a channel RSSI."""
        if not isinstance(packet, (*_LEGACY_PDUS, ll.AdvExtInd)):
            super().send_advertising_pdu(sender_controller, packet)
            return
        loop = asyncio.get_running_loop()
        tx = getattr(sender_controller, "node", sender_controller.name)
        self.advertisements_sent[tx] += 1
        for receiver in self._ordered:
            if receiver is sender_controller:
                continue
            if not isinstance(receiver, VirtualController):
                loop.call_soon(receiver.on_ll_advertising_pdu, packet)
                continue
            if not receiver.is_listening:
                continue
            rssi = self.channel.sample_rssi(tx, receiver.node)
            if rssi is not None:
                loop.call_soon(receiver.receive_advertising_pdu, packet, rssi)


class _AdvertisingTimer:
    """Advertising events at advInterval + advDelay, on the event loop's clock."""

    controller: VirtualController
    enabled: bool
    timer_handle: asyncio.Handle | None

    def _interval_range(self) -> tuple[int, int]:
        raise NotImplementedError

    def _advertising_pdu(self) -> ll.AdvertisingPdu | None:
        raise NotImplementedError

    def start(self) -> None:
        self.stop()
        self.enabled = True
        loop = asyncio.get_running_loop()
        low, high = self._interval_range()
        low = low or DEFAULT_ADVERTISING_INTERVAL
        high = max(high, low)
        self._interval_s = self.controller.rng.uniform(low, high) * INTERVAL_UNIT_S
        self._next_time = loop.time()
        self.timer_handle = loop.call_at(self._next_time, self._on_advertising_event)

    def stop(self) -> None:
        if self.timer_handle is not None:
            self.timer_handle.cancel()
            self.timer_handle = None
        self.enabled = False

    def _on_advertising_event(self) -> None:
        pdu = self._advertising_pdu()
        if pdu is not None:
            self.controller.send_advertising_pdu(pdu)
        delay = self.controller.rng.uniform(0.0, ADV_DELAY_MAX_S)
        self._next_time += self._interval_s + delay
        loop = asyncio.get_running_loop()
        self.timer_handle = loop.call_at(self._next_time, self._on_advertising_event)


class _LegacyAdvertiser(_AdvertisingTimer, LegacyAdvertiser):
    """Legacy advertising (LE Set Advertising Parameters / Data / Enable)."""

    def _interval_range(self) -> tuple[int, int]:
        return self.advertising_interval_min, self.advertising_interval_max

    def _advertising_pdu(self) -> ll.AdvertisingPdu | None:
        kind = self.advertising_type
        if kind not in (_AdvType.ADV_IND, _AdvType.ADV_SCAN_IND, _AdvType.ADV_NONCONN_IND):
            return None  # directed advertising carries no data and is not modelled
        return _legacy_pdu(
            kind == _AdvType.ADV_IND,
            kind == _AdvType.ADV_SCAN_IND,
            self.address,
            bytes(self.advertising_data),
        )


class _AdvertisingSet(_AdvertisingTimer, AdvertisingSet):
    """An extended advertising set; legacy PDUs when its properties ask for them."""

    def _interval_range(self) -> tuple[int, int]:
        if self.parameters is None:
            return 0, 0
        return (
            self.parameters.primary_advertising_interval_min,
            self.parameters.primary_advertising_interval_max,
        )

    def _advertising_pdu(self) -> ll.AdvertisingPdu | None:
        address = self.address
        if address is None or self.parameters is None:
            return None
        props = self.parameters.advertising_event_properties
        if props & _Props.DIRECTED_ADVERTISING:
            return None
        if props & _Props.USE_LEGACY_ADVERTISING_PDUS:
            return _legacy_pdu(
                bool(props & _Props.CONNECTABLE_ADVERTISING),
                bool(props & _Props.SCANNABLE_ADVERTISING),
                address,
                bytes(self.data),
            )
        return ll.AdvExtInd(
            advertiser_address=address, data=bytes(self.data), sid=self.parameters.advertising_sid
        )


class VirtualController(Controller):
    """A bumble controller on a `VirtualLink`, named by its node on the link's channel.

    ``legacy_commands`` / ``extended_commands`` choose which advertising and scanning
    commands it supports (a 4.x controller has only legacy ones, some recent ones only
    extended). ``rng`` draws advertising timing; it defaults to the channel's generator.
    ``command_latency_s`` delays each command's Command Complete/Status event, as a USB or
    UART round trip does (about 1 ms on real dongles), so the air keeps moving while a host
    runs a sequence of commands. Create it inside a running event loop.
    """

    def __init__(
        self,
        node: str,
        link: VirtualLink,
        *,
        legacy_commands: bool = True,
        extended_commands: bool = True,
        public_address: str | None = None,
        rng: random.Random | None = None,
        command_latency_s: float = 0.0,
    ) -> None:
        self.node = node
        self.command_latency_s = command_latency_s
        self.rng = rng if rng is not None else link.channel.rng
        link.channel.placement(node)  # a node must be placed before it joins
        super().__init__(node, link=link, public_address=public_address)
        self.le_legacy_advertiser = _LegacyAdvertiser(self)
        commands = set(Controller.supported_commands)
        if extended_commands:
            commands |= EXTENDED_ADVERTISING_COMMANDS
        else:
            commands -= EXTENDED_ADVERTISING_COMMANDS
            self.le_features &= ~hci.LeFeatureMask.LE_EXTENDED_ADVERTISING
        if not legacy_commands:
            commands -= LEGACY_ADVERTISING_COMMANDS
        self.supported_commands = commands
        self._command_kind: str | None = None
        self._scan_kind = "legacy"
        self._seen: set[tuple[bytes, int, bytes]] = set()

    @property
    def is_listening(self) -> bool:
        """Whether this controller wants advertisements (scanning or initiating)."""
        return self.le_scan_enable or self.pending_le_connection is not None

    # -- HCI command plumbing ----------------------------------------------------------

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        # The stock method formats the packet for its debug log even when debug logging
        # is off, which costs more than the rest of an advertising report together.
        if self.command_latency_s and isinstance(
            packet, hci.HCI_Command_Complete_Event | hci.HCI_Command_Status_Event
        ):
            loop = asyncio.get_running_loop()
            loop.call_later(self.command_latency_s, self._send_now, packet)
        else:
            self._send_now(packet)

    def _send_now(self, packet: hci.HCI_Packet) -> None:
        if _bumble_controller_logger.isEnabledFor(logging.DEBUG):
            super().send_hci_packet(packet)
        elif self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))

    def on_hci_command_packet(self, command: hci.HCI_Command) -> None:
        op_code = command.op_code
        kind = (
            "legacy"
            if op_code in LEGACY_ADVERTISING_COMMANDS
            else "extended"
            if op_code in EXTENDED_ADVERTISING_COMMANDS
            else None
        )
        if kind is not None:
            if op_code not in self.supported_commands:
                self._reject(command, hci.HCI_ErrorCode.UNKNOWN_HCI_COMMAND_ERROR)
                return
            if self._command_kind not in (None, kind):
                self._reject(command, hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
                return
            self._command_kind = kind
        super().on_hci_command_packet(command)

    def _reject(self, command: hci.HCI_Command, status: int) -> None:
        return_class = getattr(type(command), "return_parameters_class", None)
        if return_class is None:
            self._send_hci_command_status(status, command.op_code)
            return
        others = {f.name: 0 for f in dataclasses.fields(return_class) if f.name != "status"}
        self.send_hci_packet(
            hci.HCI_Command_Complete_Event(
                num_hci_command_packets=1,
                command_opcode=command.op_code,
                return_parameters=return_class(status=status, **others),
            )
        )

    @staticmethod
    def _status(status: int) -> hci.HCI_StatusReturnParameters:
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode(status))

    def on_hci_reset_command(self, command: hci.HCI_Reset_Command):
        """See Core Spec Vol 4 Part E 7.3.2: back to the power-on state."""
        self.le_legacy_advertiser.stop()
        self.le_legacy_advertiser = _LegacyAdvertiser(self)
        for advertising_set in self.advertising_sets.values():
            advertising_set.stop()
        self.advertising_sets.clear()
        self.le_scan_enable = False
        self.filter_duplicates = False
        self._seen.clear()
        self._command_kind = None
        self._scan_kind = "legacy"
        self.random_address = hci.Address("00:00:00:00:00:00")
        return super().on_hci_reset_command(command)

    # -- advertising ----------------------------------------------------------------

    def on_hci_le_set_random_address_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.4: disallowed while advertising or scanning."""
        if self.le_legacy_advertiser.enabled or self.le_scan_enable:
            return self._status(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        return super().on_hci_le_set_random_address_command(command)

    def on_hci_le_set_advertising_parameters_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.5: disallowed while advertising."""
        if self.le_legacy_advertiser.enabled:
            return self._status(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        return super().on_hci_le_set_advertising_parameters_command(command)

    def on_hci_le_set_advertising_enable_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.9: a random own address must have been set."""
        advertiser = self.le_legacy_advertiser
        if (
            command.advertising_enable
            and advertiser.own_address_type != hci.Address.PUBLIC_DEVICE_ADDRESS
            and self.random_address.address_bytes == bytes(6)
        ):
            return self._status(hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR)
        return super().on_hci_le_set_advertising_enable_command(command)

    def _advertising_set(self, handle: int) -> AdvertisingSet:
        if handle not in self.advertising_sets:
            self.advertising_sets[handle] = _AdvertisingSet(controller=self, handle=handle)
        return self.advertising_sets[handle]

    def on_hci_le_set_advertising_set_random_address_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.52."""
        self._advertising_set(command.advertising_handle)
        return super().on_hci_le_set_advertising_set_random_address_command(command)

    def on_hci_le_set_extended_advertising_parameters_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.53: disallowed while the set is enabled."""
        if self._advertising_set(command.advertising_handle).enabled:
            return hci.HCI_LE_Set_Extended_Advertising_Parameters_ReturnParameters(
                status=hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR, selected_tx_power=0
            )
        return super().on_hci_le_set_extended_advertising_parameters_command(command)

    def on_hci_le_set_extended_advertising_enable_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.56: a random own address must have been set."""
        if command.enable:
            for handle in command.advertising_handles:
                advertising_set = self.advertising_sets.get(handle)
                if advertising_set is None or advertising_set.parameters is None:
                    return self._status(hci.HCI_ErrorCode.UNKNOWN_ADVERTISING_IDENTIFIER_ERROR)
                random_own = (
                    advertising_set.parameters.own_address_type != hci.Address.PUBLIC_DEVICE_ADDRESS
                )
                if random_own and advertising_set.random_address is None:
                    return self._status(hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR)
        return super().on_hci_le_set_extended_advertising_enable_command(command)

    # -- scanning -------------------------------------------------------------------

    def on_hci_le_set_scan_enable_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.11."""
        self._scan_kind = "legacy"
        if command.le_scan_enable and not self.le_scan_enable:
            self._seen.clear()
        return super().on_hci_le_set_scan_enable_command(command)

    def on_hci_le_set_extended_scan_enable_command(self, command):
        """See Core Spec Vol 4 Part E 7.8.65."""
        self._scan_kind = "extended"
        if command.enable and not self.le_scan_enable:
            self._seen.clear()
        return super().on_hci_le_set_extended_scan_enable_command(command)

    def on_ll_advertising_pdu(self, packet: ll.AdvertisingPdu) -> None:
        # Advertisements arrive through receive_advertising_pdu (with an RSSI); only
        # connection PDUs come this way.
        if isinstance(packet, ll.ConnectInd):
            self.on_le_connect_ind(packet)

    def receive_advertising_pdu(self, pdu: ll.AdvertisingPdu, rssi: int) -> None:
        """Report one advertisement heard at ``rssi`` dBm: one report, never a scan response."""
        address = pdu.advertiser_address  # type: ignore[attr-defined]
        pending = self.pending_le_connection
        if (
            pending is not None
            and isinstance(pdu, ll.AdvInd | ll.AdvExtInd)
            and pending.peer_address == address
        ):
            self.create_le_connection(address)
        if not self.le_scan_enable:
            return
        data = bytes(pdu.data)  # type: ignore[attr-defined]
        if self.filter_duplicates:
            key = (address.address_bytes, address.address_type, data)
            if key in self._seen:
                return
            if len(self._seen) >= DUPLICATE_FILTER_SIZE:
                self._seen.clear()
            self._seen.add(key)
        legacy_type, extended_type = _REPORT_TYPES[type(pdu)]
        if self._scan_kind == "extended":
            report = hci.HCI_LE_Extended_Advertising_Report_Event.Report(
                event_type=extended_type,
                address_type=address.address_type,
                address=address,
                primary_phy=hci.Phy.LE_1M,
                secondary_phy=0 if isinstance(pdu, _LEGACY_PDUS) else hci.Phy.LE_1M,
                advertising_sid=pdu.sid if isinstance(pdu, ll.AdvExtInd) else _NO_ADI,
                tx_power=_TX_POWER_NOT_AVAILABLE,
                rssi=rssi,
                periodic_advertising_interval=0,
                direct_address_type=0,
                direct_address=hci.Address.ANY,
                data=data,
            )
            self.send_hci_packet(hci.HCI_LE_Extended_Advertising_Report_Event([report]))
        elif legacy_type >= 0:
            legacy_report = hci.HCI_LE_Advertising_Report_Event.Report(
                event_type=legacy_type,
                address_type=address.address_type,
                address=address,
                data=data,
                rssi=rssi,
            )
            self.send_hci_packet(hci.HCI_LE_Advertising_Report_Event([legacy_report]))
