"""What the bleak radio asks of bleak: a passive scan wherever the OS has one (spec ADV-13).

bleak is replaced by a recorder of its constructor's arguments, so these tests check what we
hand bleak on each platform (BlueZ, CoreBluetooth, WinRT) and what we make of its callbacks.
The BlueZ contract tests (test_bluez_contract.py) run the real bleak against a BlueZ mock.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
from bleak.args.bluez import OrPattern
from bleak.assigned_numbers import AdvertisementDataType
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from bluezone.reference_node.errors import ConfigurationError
from bluezone.reference_node.radio import bleak_radio
from bluezone.reference_node.radio.bleak_radio import (
    SERVICE_UUID,
    BleakRadio,
    default_scanning_mode,
)
from tests.reference_node.radio.support import payload


class RecordingScanner:
    """Stands in for bleak.BleakScanner: keeps its arguments and its callback."""

    made: ClassVar[list[RecordingScanner]] = []

    def __init__(self, callback: Any, **options: Any) -> None:
        self.callback = callback
        self.options = options
        self.started = 0
        RecordingScanner.made.append(self)

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        pass


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[RecordingScanner]:
    RecordingScanner.made = []
    monkeypatch.setattr(bleak_radio, "BleakScanner", RecordingScanner)
    return RecordingScanner


def started_scanner(radio: BleakRadio) -> RecordingScanner:
    async def scenario() -> None:
        await radio.start()
        await radio.start_scanning()
        await radio.close()

    asyncio.run(scenario())
    (scanner,) = RecordingScanner.made
    return scanner


def test_bluez_scans_passively_with_an_or_pattern_for_our_service_data(recorder, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    radio = BleakRadio(adapter="hci1")
    scanner = started_scanner(radio)
    assert scanner.options["scanning_mode"] == "passive"
    assert scanner.options["bluez"] == {
        "adapter": "hci1",
        "or_patterns": [OrPattern(0, AdvertisementDataType.SERVICE_DATA_UUID16, b"\x6f\xfd")],
    }
    # bleak's BlueZ backend ignores service_uuids in passive mode (and warns): not passed.
    assert "service_uuids" not in scanner.options
    assert scanner.started == 1
    assert radio.capabilities.passive_scanning


def test_windows_scans_passively_filtered_by_service_uuid(recorder, monkeypatch):
    monkeypatch.setattr("sys.platform", "win32")
    scanner = started_scanner(BleakRadio())
    assert scanner.options["scanning_mode"] == "passive"
    assert scanner.options["service_uuids"] == [SERVICE_UUID]
    assert "or_patterns" not in scanner.options["bluez"]


def test_macos_can_only_scan_actively_and_says_so(recorder, monkeypatch):
    monkeypatch.setattr("sys.platform", "darwin")
    radio = BleakRadio()
    assert not radio.capabilities.passive_scanning
    scanner = started_scanner(radio)
    assert scanner.options["scanning_mode"] == "active"
    assert scanner.options["service_uuids"] == [SERVICE_UUID]
    with pytest.raises(ConfigurationError, match="passively"):
        BleakRadio(scanning_mode="passive")


def test_the_default_mode_is_passive_but_on_macos():
    assert default_scanning_mode("linux") == "passive"
    assert default_scanning_mode("win32") == "passive"
    assert default_scanning_mode("darwin") == "active"


def test_an_unknown_mode_is_refused():
    with pytest.raises(ConfigurationError):
        BleakRadio(scanning_mode="aggressive")  # type: ignore[arg-type]


def _advertisement(service_data: dict[str, bytes], uuids: list[str]) -> AdvertisementData:
    return AdvertisementData(None, {}, service_data, uuids, None, -61, ())


def test_only_exposure_notification_adverts_become_sightings(recorder, monkeypatch):
    # BlueZ hands a passive scan's callback every device of the adapter, matched or not.
    monkeypatch.setattr("sys.platform", "linux")
    data = payload(5)[11:]

    async def scenario():
        radio = BleakRadio()
        await radio.start()
        stream = radio.sightings()
        callback = RecordingScanner.made[0].callback
        device = BLEDevice("3A:1F:00:9C:12:7E", None, {"props": {"AddressType": "random"}})
        callback(device, _advertisement({}, ["0000180f-0000-1000-8000-00805f9b34fb"]))
        callback(device, _advertisement({SERVICE_UUID: data}, [SERVICE_UUID]))
        await radio.close()
        return [sighting async for sighting in stream]

    (sighting,) = asyncio.run(scenario())
    assert sighting.service_data == data
    assert sighting.address_type == "random"
    assert sighting.rssi == -61
