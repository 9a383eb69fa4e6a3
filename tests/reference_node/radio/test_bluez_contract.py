"""The BlueZ advertiser and the bleak scanner against a BlueZ D-Bus mock on a private bus.

The mock is ``bluezoo`` (GPL, installed for tests only and run as a separate process, never
imported): two adapters, hci0 advertising through LEAdvertisingManager1 and hci1 scanning.
It reports what an advertisement's properties say, so these tests check what we hand
BlueZ and what we make of what BlueZ reports, not radio behaviour. They run in real time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from hypothesis import given
from hypothesis import strategies as st

from bluezone.reference_node.errors import (
    AdvertisingDataError,
    NodeError,
    TransportError,
    UnsupportedOperationError,
)
from bluezone.reference_node.radio.bleak_radio import BleakRadio
from bluezone.reference_node.radio.bluez_advertiser import BluezAdvertisement, BluezAdvertiser
from tests.reference_node.radio.support import payload

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
ADVERTISER_ADDRESS = "00:11:22:33:44:01"
SCANNER_ADDRESS = "00:11:22:33:44:02"
MOCK_OPTIONS = ("--auto-enable", "--scan-interval", "1")


async def _bluez_is_up(address: str) -> bool:
    bus = await MessageBus(bus_address=address).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="NameHasOwner",
                signature="s",
                body=["org.bluez"],
            )
        )
        return reply.message_type == MessageType.METHOD_RETURN and reply.body[0]
    finally:
        bus.disconnect()


@pytest.fixture(scope="module")
def bluez_bus(tmp_path_factory):
    """The address of a private D-Bus bus with the BlueZ mock on it (two adapters)."""
    daemon, bluezoo = shutil.which("dbus-daemon"), shutil.which("bluezoo")
    missing = [
        reason
        for tool, reason in (
            (daemon, "dbus-daemon is missing (Debian package 'dbus')"),
            (bluezoo, "the bluezoo BlueZ mock is missing (pip install bluezoo; test-only, GPL)"),
        )
        if tool is None
    ]
    if missing:
        # CI installs both (.ci/run); there a missing tool is a failure, never a skip.
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)("; ".join(missing))
    directory = tmp_path_factory.mktemp("dbus")
    config = directory / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=directory))
    bus = subprocess.Popen(
        [daemon, f"--config-file={config}", "--print-address=1", "--nofork"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    address = bus.stdout.readline().strip()
    if not address:
        bus.kill()
        pytest.fail("dbus-daemon did not start")
    mock = subprocess.Popen(
        [bluezoo, "-a", ADVERTISER_ADDRESS, "-a", SCANNER_ADDRESS, *MOCK_OPTIONS],
        env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not asyncio.run(_bluez_is_up(address)):
            if time.monotonic() > deadline or mock.poll() is not None:
                pytest.fail("the BlueZ mock did not come up")
            time.sleep(0.1)
        yield address
    finally:
        for process in (mock, bus):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def on_mock_bus(bluez_bus, monkeypatch):
    """Point the system bus (bleak's and our advertiser's default) at the mock's bus."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bluez_bus)
    return bluez_bus


async def _first(stream, predicate, timeout_s: float = 10.0):
    async with asyncio.timeout(timeout_s):
        async for sighting in stream:
            if predicate(sighting):
                return sighting
    raise AssertionError("the stream ended")


async def _active_advertisements(address: str) -> int:
    bus = await MessageBus(bus_address=address).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path="/org/bluez/hci0",
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=["org.bluez.LEAdvertisingManager1", "ActiveInstances"],
            )
        )
        assert reply.message_type == MessageType.METHOD_RETURN, reply.error_name
        return reply.body[0].value
    finally:
        bus.disconnect()


@pytest.mark.e2e
def test_scanner_hears_each_payload_the_advertiser_registers(on_mock_bus):
    first, second = payload(1), payload(2)

    async def scenario():
        advertiser = BleakRadio(adapter="hci0", advertiser=BluezAdvertiser("hci0"))
        # The mock has no advertisement monitor API, so only an active scan hears anything
        # there (see test_passive_scanning_without_the_monitor_api_fails_loudly).
        scanner = BleakRadio(adapter="hci1", scanning_mode="active")
        async with advertiser, scanner:
            stream = scanner.sightings()
            await scanner.start_scanning()
            await advertiser.set_advertisement(first, "3A:1F:00:9C:12:7E")
            heard_first = await _first(stream, lambda s: s.service_data == first[11:])
            await advertiser.set_advertisement(second, "3A:1F:00:9C:12:7F")
            heard_second = await _first(stream, lambda s: s.service_data == second[11:])
            active = await _active_advertisements(on_mock_bus)
        return heard_first, heard_second, active, await _active_advertisements(on_mock_bus)

    heard_first, heard_second, active, after_close = asyncio.run(scenario())
    for sighting in (heard_first, heard_second):
        assert sighting.backend == "bleak"
        assert sighting.ad is None
        # BlueZ owns the address: the scanner sees the advertising adapter's, not ours
        assert sighting.address == ADVERTISER_ADDRESS
        assert sighting.address_type == "public"
    assert active == 1  # each rotation replaced the previous registration
    assert after_close == 0


@pytest.mark.e2e
def test_passive_scanning_without_the_monitor_api_fails_loudly(on_mock_bus):
    # spec ADV-13: a BlueZ without AdvertisementMonitorManager1 cannot scan passively; the
    # radio says so instead of sending scan requests behind the node's back.
    async def scenario():
        async with BleakRadio(adapter="hci1") as scanner:
            assert scanner.capabilities.passive_scanning
            await scanner.start_scanning()

    with pytest.raises(TransportError, match="ADV-13"):
        asyncio.run(scenario())


@pytest.mark.e2e
def test_stop_advertising_unregisters(on_mock_bus):
    async def scenario():
        advertiser = BluezAdvertiser("hci0")
        await advertiser.start()
        try:
            await advertiser.set_advertisement(payload(3))
            registered = await _active_advertisements(on_mock_bus)
            await advertiser.stop_advertising()
            return registered, await _active_advertisements(on_mock_bus), advertiser.advertising
        finally:
            await advertiser.close()

    assert asyncio.run(scenario()) == (1, 0, False)


def test_capabilities_say_what_the_os_stack_cannot_do():
    scanner_only = BleakRadio()
    with_advertiser = BleakRadio(advertiser=BluezAdvertiser())
    for radio in (scanner_only, with_advertiser):
        assert not radio.capabilities.controls_address
        assert not radio.capabilities.per_packet_reports
        assert not radio.capabilities.raw_ad_bytes
    assert not scanner_only.capabilities.can_advertise
    assert with_advertiser.capabilities.can_advertise


def test_a_scanner_alone_cannot_advertise():
    async def scenario():
        async with BleakRadio() as radio:
            await radio.set_advertisement(payload(1), "3A:1F:00:9C:12:7E")

    with pytest.raises(UnsupportedOperationError):
        asyncio.run(scenario())


def test_our_payload_maps_to_bluez_properties():
    ad = payload(4)
    assert BluezAdvertisement.from_ad(ad) == BluezAdvertisement(
        service_uuids=("fd6f",),
        service_data=(("fd6f", ad[11:]),),
        discoverable=True,  # flags 0x1a include LE General Discoverable
    )
    without_flags = BluezAdvertisement.from_ad(ad[3:])
    assert without_flags.discoverable is False
    assert without_flags.service_data == (("fd6f", ad[11:]),)


@pytest.mark.parametrize(
    ("ad", "error"),
    [
        (payload(1) + b"\x00", AdvertisingDataError),  # 32 octets
        (bytes.fromhex("0516"), AdvertisingDataError),  # runs past the end
        (bytes.fromhex("0201060001"), AdvertisingDataError),  # non-zero padding
        (bytes.fromhex("0509626c7565"), UnsupportedOperationError),  # a local name
    ],
)
def test_payloads_bluez_cannot_carry_are_refused(ad, error):
    with pytest.raises(error):
        BluezAdvertisement.from_ad(ad)


@given(st.binary(max_size=40))
def test_any_bytes_give_properties_or_a_node_error(ad):
    try:
        advertisement = BluezAdvertisement.from_ad(ad)
    except NodeError:
        return
    assert all(len(uuid) == 4 for uuid in advertisement.service_uuids)
    assert all(len(uuid) == 4 for uuid, _ in advertisement.service_data)
