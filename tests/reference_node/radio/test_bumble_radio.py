"""The bumble backend at HCI level, on the virtual link, checked from a btsnoop capture."""

from __future__ import annotations

import asyncio
import io
import random

import pytest
from bumble import hci

from bluezone.reference_node.errors import (
    ConfigurationError,
    HciCommandError,
    RadioStateError,
    TransportError,
)
from bluezone.reference_node.radio.address import is_nrpa, parse_address
from bluezone.reference_node.radio.btsnoop import DATALINK_H4, UNIX_EPOCH_US, BtSnoopWriter
from bluezone.reference_node.radio.bumble_radio import BumbleRadio, BumbleRadioConfig, CommandSet
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.radio.support import (
    Bench,
    commands,
    drain,
    fresh_addresses,
    payload,
    read_btsnoop,
)

pytestmark = pytest.mark.e2e

WALL_START = 1_700_000_000.0
PLACEMENTS = {"a": Placement(Position(0, 0)), "b": Placement(Position(3, 0))}
NO_SHADOWING = PathLossModel(shadowing_sigma_db=0.0)

OP_SET_RANDOM_ADDRESS = 0x2005
OP_SET_ADVERTISING_PARAMETERS = 0x2006
OP_SET_ADVERTISING_DATA = 0x2008
OP_SET_ADVERTISING_ENABLE = 0x200A
OP_SET_SCAN_PARAMETERS = 0x200B
OP_SET_SCAN_ENABLE = 0x200C
OP_SET_ADVERTISING_SET_RANDOM_ADDRESS = 0x2035
OP_SET_EXTENDED_ADVERTISING_PARAMETERS = 0x2036
OP_SET_EXTENDED_ADVERTISING_DATA = 0x2037
OP_SET_EXTENDED_ADVERTISING_ENABLE = 0x2039
OP_SET_EXTENDED_SCAN_ENABLE = 0x2042
ADVERTISING_OPS = {
    OP_SET_RANDOM_ADDRESS: "address",
    OP_SET_ADVERTISING_DATA: "data",
    OP_SET_ADVERTISING_ENABLE: "enable",
    OP_SET_SCAN_ENABLE: "scan",
    OP_SET_ADVERTISING_SET_RANDOM_ADDRESS: "address",
    OP_SET_EXTENDED_ADVERTISING_DATA: "data",
    OP_SET_EXTENDED_ADVERTISING_ENABLE: "enable",
    OP_SET_EXTENDED_SCAN_ENABLE: "scan",
}


def run(coro):
    return vclock.run(coro, wall_start=WALL_START)


async def rotate_while_scanning(command_set: str, rotations: int, snoop: BtSnoopWriter):
    """Node a scans and rotates ``rotations`` times; returns its (address, payload) pairs."""
    bench = await Bench.create(
        f"bumble-{command_set}", PLACEMENTS, model=NO_SHADOWING, snoop={"a": snoop}
    )
    a = bench.radios["a"]
    await a.start_scanning()
    rng = random.Random(9)
    addresses = fresh_addresses(rng)
    pairs = []
    for i in range(rotations):
        pair = (next(addresses), payload(i))
        pairs.append(pair)
        await a.set_advertisement(pair[1], pair[0])
        await asyncio.sleep(rng.uniform(1, 5))
    await bench.close()
    return pairs


@pytest.mark.parametrize("command_set", ["legacy", "extended"])
def test_capture_opens_as_h4_btsnoop(command_set):
    buffer = io.BytesIO()
    run(rotate_while_scanning(command_set, 3, BtSnoopWriter(buffer)))
    datalink, records = read_btsnoop(buffer.getvalue())
    assert datalink == DATALINK_H4 == 1002
    assert records
    for record in records:
        packet = hci.HCI_Packet.from_bytes(record.packet)
        received = bool(record.flags & 1)
        assert received == isinstance(packet, hci.HCI_Event)
        assert record.flags & 2  # commands and events only, no ACL
        assert record.original_length == len(record.packet)
    # Timestamps follow the virtual wall clock: the capture starts at WALL_START.
    assert records[0].timestamp_us == UNIX_EPOCH_US + int(WALL_START * 1_000_000)
    stamps = [r.timestamp_us for r in records]
    assert stamps == sorted(stamps)
    assert stamps[-1] - stamps[0] >= 2_000_000  # three rotations 1-5 s apart


@pytest.mark.parametrize("command_set", ["legacy", "extended"])
def test_advertising_data_commands_carry_exactly_our_bytes(command_set):
    buffer = io.BytesIO()
    pairs = run(rotate_while_scanning(command_set, 20, BtSnoopWriter(buffer)))
    _, records = read_btsnoop(buffer.getvalue())
    if command_set == "legacy":
        # Length octet, the data, zero padding to 31 octets (Core Spec Vol 4 Part E 7.8.7).
        expected = [bytes([len(ad)]) + ad.ljust(31, b"\0") for _, ad in pairs]
        assert commands(records, OP_SET_ADVERTISING_DATA) == expected
    else:
        # Handle 0, operation "complete data", no fragmentation, length, data (7.8.54).
        expected = [bytes([0, 3, 1, len(ad)]) + ad for _, ad in pairs]
        assert commands(records, OP_SET_EXTENDED_ADVERTISING_DATA) == expected


@pytest.mark.parametrize("command_set", ["legacy", "extended"])
def test_each_rotation_sets_a_fresh_nrpa(command_set):
    buffer = io.BytesIO()
    pairs = run(rotate_while_scanning(command_set, 20, BtSnoopWriter(buffer)))
    _, records = read_btsnoop(buffer.getvalue())
    if command_set == "legacy":
        sent = [p[::-1] for p in commands(records, OP_SET_RANDOM_ADDRESS)]
    else:
        parameters = commands(records, OP_SET_ADVERTISING_SET_RANDOM_ADDRESS)
        assert {p[0] for p in parameters} == {0}  # always advertising set 0
        sent = [p[1:][::-1] for p in parameters]
    assert sent == [parse_address(address) for address, _ in pairs]
    assert len(set(sent)) == len(sent)
    assert all(is_nrpa(address) for address in sent)


@pytest.mark.parametrize("command_set", ["legacy", "extended"])
def test_rotation_command_order(command_set):
    """Each rotation is: off, address, data, on; legacy pauses scanning around it."""
    buffer = io.BytesIO()
    run(rotate_while_scanning(command_set, 4, BtSnoopWriter(buffer)))
    _, records = read_btsnoop(buffer.getvalue())
    steps = []
    for record in records:
        packet = record.packet
        if record.flags & 1 == 0 and packet[0] == 0x01:
            op = int.from_bytes(packet[1:3], "little")
            if op in ADVERTISING_OPS:
                on = packet[4] if ADVERTISING_OPS[op] in ("enable", "scan") else None
                steps.append(ADVERTISING_OPS[op] + ("" if on is None else f"={on}"))
    rotation = ["address", "data", "enable=1"]
    if command_set == "legacy":
        first = ["scan=0", *rotation, "scan=1"]
        later = ["enable=0", "scan=0", *rotation, "scan=1"]
    else:
        first = rotation
        later = ["enable=0", *rotation]
    # scan on, four rotations, then close: advertising off, scanning off
    assert steps == ["scan=1", *first, *later * 3, "enable=0", "scan=0"]


def test_a_non_atomic_rotation_is_caught():
    """Negative control: a host that turns advertising on before setting the new data
    puts the new address on air with the old payload, and the pairing check sees it."""

    class CarelessRadio(BumbleRadio):
        async def _rotate_legacy(self, ad, address):
            await self._send(hci.HCI_LE_Set_Random_Address_Command(random_address=address))
            await self._send(hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=1))
            self.advertising = True
            await self._send(hci.HCI_LE_Set_Advertising_Data_Command(advertising_data=ad))

    async def scenario():
        channel = Channel(NO_SHADOWING, random.Random(1))
        for node, placement in PLACEMENTS.items():
            channel.place(node, placement)
        link = VirtualLink(channel)
        config = BumbleRadioConfig(commands=CommandSet.LEGACY)
        a = CarelessRadio.from_controller(
            VirtualController("a", link, command_latency_s=0.002), config=config
        )
        b = BumbleRadio.from_controller(VirtualController("b", link), config=config)
        async with a, b:
            stream = b.sightings()
            await b.start_scanning()
            pairs = {}
            addresses = fresh_addresses(random.Random(2))
            for i in range(5):
                address = next(addresses)
                pairs[address] = payload(i)
                await a.set_advertisement(payload(i), address)
                await asyncio.sleep(2)
            return [s for s in drain(stream) if pairs[s.address] != s.ad]

    mismatched = run(scenario())
    assert len(mismatched) >= 4  # every rotation after the first leaks the old payload


def test_auto_prefers_legacy_commands_and_falls_back_to_extended():
    async def scenario():
        channel = Channel(PathLossModel(), random.Random(1))
        channel.place("a", Placement(Position(0, 0)))
        channel.place("b", Placement(Position(1, 0)))
        link = VirtualLink(channel)
        both = BumbleRadio.from_controller(VirtualController("a", link))
        extended_only = BumbleRadio.from_controller(
            VirtualController("b", link, legacy_commands=False)
        )
        async with both, extended_only:
            return both.command_set, extended_only.command_set

    assert run(scenario()) == (CommandSet.LEGACY, CommandSet.EXTENDED)


def test_auto_uses_legacy_on_a_legacy_only_controller():
    async def scenario():
        channel = Channel(PathLossModel(), random.Random(1))
        channel.place("a", Placement(Position(0, 0)))
        radio = BumbleRadio.from_controller(
            VirtualController("a", VirtualLink(channel), extended_commands=False)
        )
        async with radio:
            return radio.command_set

    assert run(scenario()) is CommandSet.LEGACY


def test_hci_rejection_raises_hci_command_error():
    async def scenario():
        channel = Channel(PathLossModel(), random.Random(1))
        channel.place("a", Placement(Position(0, 0)))
        controller = VirtualController("a", VirtualLink(channel), legacy_commands=False)
        radio = BumbleRadio.from_controller(
            controller, config=BumbleRadioConfig(commands=CommandSet.LEGACY)
        )
        try:
            await radio.start()
        finally:
            await radio.close()

    with pytest.raises(HciCommandError) as info:
        run(scenario())
    assert info.value.code == "hci_command_failed"
    assert info.value.status == hci.HCI_ErrorCode.UNKNOWN_HCI_COMMAND_ERROR
    assert "HCI_LE_SET_ADVERTISING_PARAMETERS_COMMAND" in str(info.value)


def test_unanswered_command_raises_hci_command_error():
    class SilentSink:
        def on_packet(self, packet: bytes) -> None:
            pass

    class NoSource:
        def set_packet_sink(self, sink) -> None:
            pass

    async def scenario():
        radio = BumbleRadio(NoSource(), SilentSink(), config=BumbleRadioConfig(reset_timeout_s=3.0))
        await radio.start()

    with pytest.raises(HciCommandError) as info:
        run(scenario())
    assert info.value.status is None


def test_unknown_transport_raises_transport_error():
    async def scenario():
        await BumbleRadio.open("no-such-transport:0")

    with pytest.raises(TransportError) as info:
        run(scenario())
    assert info.value.code == "transport_error"


def test_scan_parameters_are_passive_and_unfiltered():
    buffer = io.BytesIO()
    run(rotate_while_scanning("legacy", 1, BtSnoopWriter(buffer)))
    _, records = read_btsnoop(buffer.getvalue())
    (scan_parameters,) = commands(records, OP_SET_SCAN_PARAMETERS)
    assert scan_parameters[0] == 0  # passive (spec ADV-13)
    assert scan_parameters[1:3] == scan_parameters[3:5]  # window == interval: continuous
    enables = commands(records, OP_SET_SCAN_ENABLE)
    assert {e[1] for e in enables} == {0}  # duplicate filtering off (spec ADV-13)
    (advertising_parameters,) = commands(records, OP_SET_ADVERTISING_PARAMETERS)
    low, high = (int.from_bytes(advertising_parameters[i : i + 2], "little") for i in (0, 2))
    assert (low * 0.625, high * 0.625) == (200.0, 270.0)  # spec ADV-2
    assert advertising_parameters[4] == 0x03  # ADV_NONCONN_IND (spec ADV-2)
    assert advertising_parameters[5] == 0x01  # random own address


def test_sightings_reach_every_stream_of_a_bumble_radio():
    async def scenario():
        bench = await Bench.create("bumble-legacy", PLACEMENTS, model=NO_SHADOWING)
        a, b = bench.radios["a"], bench.radios["b"]
        first, second = b.sightings(), b.sightings()
        await b.start_scanning()
        await a.set_advertisement(payload(1), next(fresh_addresses(random.Random(1))))
        await asyncio.sleep(5)
        first.close()
        await asyncio.sleep(5)
        result = len(drain(first)), len(drain(second))
        await bench.close()
        return result

    first, second = run(scenario())
    assert 0 < first < second


@pytest.mark.parametrize(
    "settings",
    [
        {"commands": "fancy"},
        {"advertising_interval_min_ms": 10.0},  # below 20 ms
        {"advertising_interval_min_ms": 300.0},  # above the maximum
        {"scan_window_ms": 200.0},  # longer than the interval
        {"advertising_handle": 0xF0},
    ],
)
def test_bad_settings_raise_configuration_error(settings):
    with pytest.raises(ConfigurationError) as info:
        BumbleRadioConfig(**settings)
    assert info.value.code == "invalid_radio_config"


def test_command_set_accepts_its_string_value():
    assert BumbleRadioConfig(commands="extended").commands is CommandSet.EXTENDED


def test_a_failed_start_leaves_the_radio_unstarted():
    async def scenario():
        channel = Channel(PathLossModel(), random.Random(1))
        channel.place("a", Placement(Position(0, 0)))
        controller = VirtualController("a", VirtualLink(channel), legacy_commands=False)
        radio = BumbleRadio.from_controller(
            controller, config=BumbleRadioConfig(commands=CommandSet.LEGACY)
        )
        with pytest.raises(HciCommandError):
            await radio.start()
        with pytest.raises(RadioStateError):
            await radio.start_scanning()

    run(scenario())


def test_a_lost_transport_raises_transport_error():
    class Unpluggable:
        """A sink that forwards to the controller until unplugged, then reports the loss."""

        def __init__(self, controller) -> None:
            self.controller = controller
            self.unplugged = False

        def on_packet(self, packet: bytes) -> None:
            if self.unplugged:
                self.controller.host.on_transport_lost()
            else:
                self.controller.on_packet(packet)

    async def scenario():
        channel = Channel(PathLossModel(), random.Random(1))
        channel.place("a", Placement(Position(0, 0)))
        controller = VirtualController("a", VirtualLink(channel))
        sink = Unpluggable(controller)
        radio = BumbleRadio(controller, sink)
        await radio.start()
        sink.unplugged = True
        try:
            await radio.set_advertisement(payload(1), "3A:1F:00:9C:12:7E")
        finally:
            await radio.close()

    with pytest.raises(TransportError):
        run(scenario())
