"""The radio named on the command line (``--radio``)."""

from __future__ import annotations

import asyncio

import pytest

from bluezone.reference_node.errors import NodeConfigError, RadioUnavailableError, TransportError
from bluezone.reference_node.radio.bleak_radio import BleakRadio
from bluezone.reference_node.radio.open import SimNeighbourhood, open_radio
from bluezone.reference_node.vtime import clock as vclock


def test_bleak_scans_only_and_bleak_bluez_also_advertises(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    scanner = asyncio.run(open_radio("bleak"))
    assert isinstance(scanner, BleakRadio) and not scanner.capabilities.can_advertise
    laptop = asyncio.run(open_radio("bleak+bluez:hci1"))
    assert laptop.capabilities.can_advertise and not laptop.capabilities.controls_address
    assert laptop.advertiser.adapter == "hci1" and laptop.adapter == "hci1"


def test_bluez_advertising_needs_linux(monkeypatch):
    monkeypatch.setattr("sys.platform", "darwin")
    with pytest.raises(RadioUnavailableError):
        asyncio.run(open_radio("bleak+bluez"))


@pytest.mark.parametrize("spec", ["bleak+dbus", "sim:peers=101", "sim:peers=-1", "usb:0", ""])
def test_unknown_radios_are_config_errors(spec: str):
    with pytest.raises(NodeConfigError):
        asyncio.run(open_radio(spec))


def test_a_bumble_transport_that_cannot_open_is_a_transport_error():
    with pytest.raises(TransportError):
        asyncio.run(open_radio("bumble:no-such-transport:0"))


def test_a_capture_needs_a_bumble_radio(tmp_path):
    from bluezone.reference_node.radio.btsnoop import BtSnoopWriter

    with BtSnoopWriter.open(tmp_path / "x.btsnoop") as snoop, pytest.raises(NodeConfigError):
        asyncio.run(open_radio("sim", snoop=snoop))


def test_sim_neighbours_advertise_and_rotate():
    async def main():
        radio = await open_radio("sim:peers=3")
        assert isinstance(radio, SimNeighbourhood)
        await radio.start()
        stream = radio.sightings()
        await radio.start_scanning()
        await asyncio.sleep(1300)
        heard = []
        while (sighting := stream.get_nowait()) is not None:
            heard.append(sighting)
        await radio.close()
        return heard

    heard = vclock.run(main(), wall_start=1_763_892_000)
    assert len({s.address for s in heard}) == 3 * 3  # three peers, three identifiers each
    assert len({s.ad for s in heard}) == 9
