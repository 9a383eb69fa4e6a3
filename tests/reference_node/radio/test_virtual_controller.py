"""The virtual controller, driven through bumble's Host: reports and the rules it enforces."""

from __future__ import annotations

import asyncio
import random

import pytest
from bumble import hci
from bumble.host import Host

from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.vtime import clock as vclock

ADDRESS = hci.Address("3A:1F:00:9C:12:7E")
DATA = bytes.fromhex("02011a03036ffd17166ffd") + bytes(range(20))
_AdvType = hci.HCI_LE_Set_Advertising_Parameters_Command.AdvertisingType


def run(coro):
    return vclock.run(coro)


LEGACY_ONLY = {"extended_commands": False}
EXTENDED_ONLY = {"legacy_commands": False}


async def hosts(*, sigma: float = 0.0, distance: float = 2.0, a=LEGACY_ONLY, b=LEGACY_ONLY):
    """Two reset hosts on virtual controllers ``a`` and ``b`` (with those options), and the
    link. bumble's Host reset reads extended advertising parameters when a controller lists
    them, which locks the controller out of legacy commands; hence legacy-only defaults."""
    channel = Channel(PathLossModel(shadowing_sigma_db=sigma), random.Random(1))
    channel.place("a", Placement(Position(0, 0)))
    channel.place("b", Placement(Position(distance, 0)))
    link = VirtualLink(channel)
    result = []
    for node, options in (("a", a), ("b", b)):
        controller = VirtualController(node, link, **options)
        host = Host(controller_source=controller, controller_sink=controller)
        await host.reset(driver_factory=None)
        result.append(host)
    return result[0], result[1], link


async def legacy_advertise(host: Host, advertising_type: int = _AdvType.ADV_NONCONN_IND):
    await host.send_sync_command(
        hci.HCI_LE_Set_Advertising_Parameters_Command(
            advertising_interval_min=160,
            advertising_interval_max=160,
            advertising_type=advertising_type,
            own_address_type=hci.OwnAddressType.RANDOM,
            peer_address_type=0,
            peer_address=hci.Address.ANY,
            advertising_channel_map=7,
            advertising_filter_policy=0,
        )
    )
    await host.send_sync_command(hci.HCI_LE_Set_Random_Address_Command(random_address=ADDRESS))
    await host.send_sync_command(hci.HCI_LE_Set_Advertising_Data_Command(advertising_data=DATA))
    await host.send_sync_command(hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=1))


async def legacy_scan(host: Host, filter_duplicates: int = 0) -> list:
    reports: list = []
    host.on("advertising_report", reports.append)
    await host.send_sync_command(
        hci.HCI_LE_Set_Scan_Enable_Command(le_scan_enable=1, filter_duplicates=filter_duplicates)
    )
    return reports


async def extended_scan(host: Host) -> list:
    reports: list = []
    host.on("advertising_report", reports.append)
    await host.send_sync_command(
        hci.HCI_LE_Set_Extended_Scan_Enable_Command(
            enable=1, filter_duplicates=0, duration=0, period=0
        )
    )
    return reports


async def status_of(host: Host, command) -> int:
    try:
        await host.send_sync_command(command)
    except hci.HCI_Error as exc:
        return exc.error_code
    return hci.HCI_ErrorCode.SUCCESS


@pytest.mark.parametrize(
    ("advertising_type", "event_type"),
    [
        (_AdvType.ADV_NONCONN_IND, 0x03),
        (_AdvType.ADV_SCAN_IND, 0x02),
        (_AdvType.ADV_IND, 0x00),
    ],
)
def test_legacy_reports_one_per_advert_with_the_pdu_type(advertising_type, event_type):
    async def scenario():
        a, b, link = await hosts()
        reports = await legacy_scan(b)
        await legacy_advertise(a, advertising_type)
        await asyncio.sleep(10)
        return reports, link.advertisements_sent["a"]

    reports, sent = run(scenario())
    # 100 ms interval (160 units) plus 0-10 ms advDelay
    assert 10 / 0.110 <= sent <= 10 / 0.100 + 1
    assert len(reports) == sent
    assert {r.event_type for r in reports} == {event_type}
    assert {r.data for r in reports} == {DATA}
    assert {r.address for r in reports} == {ADDRESS}
    assert {r.rssi for r in reports} == {round(-59 - 20 * 0.30103)}  # 2 m, no shadowing


def test_extended_scanning_reports_legacy_pdus():
    async def scenario():
        a, b, _ = await hosts(b=EXTENDED_ONLY)
        reports = await extended_scan(b)
        # the no-mixing rule binds each controller separately: a may use legacy commands
        await legacy_advertise(a)
        await asyncio.sleep(1)
        return reports

    reports = run(scenario())
    assert reports
    assert {r.event_type for r in reports} == {0x10}  # legacy PDU, non-connectable
    assert {r.data for r in reports} == {DATA}


def test_duplicate_filtering_when_asked():
    async def scenario():
        a, b, _ = await hosts(sigma=3.0)
        reports = await legacy_scan(b, filter_duplicates=1)
        await legacy_advertise(a)
        await asyncio.sleep(10)
        return reports

    assert len(run(scenario())) == 1


def test_out_of_range_adverts_are_not_reported():
    async def scenario():
        a, b, link = await hosts(distance=5_000.0)
        reports = await legacy_scan(b)
        await legacy_advertise(a)
        await asyncio.sleep(10)
        return reports, link.advertisements_sent["a"]

    reports, sent = run(scenario())
    assert sent > 0
    assert reports == []


def test_random_address_is_refused_while_advertising_or_scanning():
    set_address = hci.HCI_LE_Set_Random_Address_Command(random_address=ADDRESS)

    async def scenario():
        a, b, _ = await hosts()
        await legacy_advertise(a)
        while_advertising = await status_of(a, set_address)
        await legacy_scan(b)
        while_scanning = await status_of(b, set_address)
        await b.send_sync_command(
            hci.HCI_LE_Set_Scan_Enable_Command(le_scan_enable=0, filter_duplicates=0)
        )
        when_idle = await status_of(b, set_address)
        return while_advertising, while_scanning, when_idle

    disallowed = hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR
    assert run(scenario()) == (disallowed, disallowed, hci.HCI_ErrorCode.SUCCESS)


def test_enabling_without_a_random_address_is_invalid():
    async def scenario():
        a, _, _ = await hosts()
        await a.send_sync_command(
            hci.HCI_LE_Set_Advertising_Parameters_Command(
                advertising_interval_min=160,
                advertising_interval_max=160,
                advertising_type=_AdvType.ADV_NONCONN_IND,
                own_address_type=hci.OwnAddressType.RANDOM,
                peer_address_type=0,
                peer_address=hci.Address.ANY,
                advertising_channel_map=7,
                advertising_filter_policy=0,
            )
        )
        return await status_of(a, hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=1))

    assert run(scenario()) == hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR


def test_legacy_and_extended_commands_do_not_mix_until_reset():
    legacy = hci.HCI_LE_Set_Scan_Enable_Command(le_scan_enable=0, filter_duplicates=0)
    extended = hci.HCI_LE_Set_Extended_Scan_Enable_Command(
        enable=0, filter_duplicates=0, duration=0, period=0
    )

    async def scenario():
        a, _, _ = await hosts(a={})
        first = await status_of(a, extended)
        mixed = await status_of(a, legacy)
        await a.send_sync_command(hci.HCI_Reset_Command())
        after_reset = await status_of(a, legacy)
        mixed_again = await status_of(a, extended)
        return first, mixed, after_reset, mixed_again

    ok, disallowed = hci.HCI_ErrorCode.SUCCESS, hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR
    assert run(scenario()) == (ok, disallowed, ok, disallowed)


def test_bumble_host_reset_locks_a_dual_controller_out_of_legacy_commands():
    """Why the bumble backend hides the extended reads from Host.reset: the rule bites."""

    async def scenario():
        a, _, _ = await hosts(a={})
        return await status_of(
            a, hci.HCI_LE_Set_Scan_Enable_Command(le_scan_enable=0, filter_duplicates=0)
        )

    assert run(scenario()) == hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR


def test_commands_a_controller_lacks_are_unknown():
    async def scenario():
        a, _, _ = await hosts(a=EXTENDED_ONLY)
        listed = a.supports_command(hci.HCI_LE_SET_ADVERTISING_ENABLE_COMMAND)
        status = await status_of(a, hci.HCI_LE_Set_Advertising_Enable_Command(advertising_enable=0))
        return listed, status

    assert run(scenario()) == (False, hci.HCI_ErrorCode.UNKNOWN_HCI_COMMAND_ERROR)


def test_reset_stops_advertising():
    async def scenario():
        a, _, link = await hosts()
        await legacy_advertise(a)
        await asyncio.sleep(1)
        await a.send_sync_command(hci.HCI_Reset_Command())
        sent = link.advertisements_sent["a"]
        await asyncio.sleep(5)
        return sent, link.advertisements_sent["a"]

    sent, later = run(scenario())
    assert sent > 0
    assert later == sent


def test_node_must_be_placed_before_joining():
    from bluezone.reference_node.errors import ChannelError

    async def scenario():
        link = VirtualLink(Channel(PathLossModel(), random.Random(1)))
        VirtualController("nowhere", link)

    with pytest.raises(ChannelError):
        run(scenario())
