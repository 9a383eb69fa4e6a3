"""Radios at advertisement level: one `Radio` protocol, several backends.

- `bumble_radio.BumbleRadio`: any HCI controller bumble opens, or the virtual link
  (`virtual.VirtualLink`, `virtual.VirtualController`).
- `sim.SimRadio`: an in-memory medium for large simulations.
- `bleak_radio.BleakRadio`: scanning through the OS stack (BlueZ, CoreBluetooth, WinRT),
  optionally advertising on Linux through `bluez_advertiser.BluezAdvertiser`.

Both simulated media draw RSSI from `channel.Channel`. Backends import their third-party
stacks only when used, so import them from their modules.
"""

from bluezone.reference_node.radio.address import format_address, is_nrpa, make_nrpa, parse_address
from bluezone.reference_node.radio.base import Radio, RadioCapabilities, Sighting, SightingStream

__all__ = [
    "Radio",
    "RadioCapabilities",
    "Sighting",
    "SightingStream",
    "format_address",
    "is_nrpa",
    "make_nrpa",
    "parse_address",
]
