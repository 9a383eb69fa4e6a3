"""The scanner's duty cycle and one scan's buffer (spec ADV-3, ADV-13, ADV-14, RISK-4)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.errors import NodeConfigError
from bluezone.reference_node.node.scanning import SCAN_BUFFER_FULL, DutyCycle, ScanBuffer, decode
from bluezone.reference_node.radio.base import Sighting

NOW = 2_940_624 * 600 + 3600.0
ADV = Advertisement(bytes(range(16)), b"\x40\xfc\x00\x00")


def report(ad: bytes | None = bytes(ADV), *, address: str = "01:02:03:04:05:06", **kw) -> Sighting:
    fields = dict(
        monotonic_time=5.0,
        wall_time=NOW,
        address=address,
        address_type="random",
        rssi=-60,
        ad=ad,
        service_data=None,
        backend="sim",
    )
    fields.update(kw)
    return Sighting(**fields)


def test_the_default_duty_cycle_is_the_spec_recommendation():
    cycle = DutyCycle()
    assert (cycle.window_s, cycle.period_min_s, cycle.period_max_s) == (4, 120, 300)
    assert not cycle.continuous
    assert cycle.period(0.0) == 120 and cycle.period(0.5) == 210
    assert cycle.describe() == "4 s every 120-300 s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("continuous", DutyCycle(60, 60, 60)),
        ("continuous:5", DutyCycle(5, 5, 5)),
        ("4/120-300", DutyCycle(4, 120, 300)),
        ("10/60-60", DutyCycle(10, 60, 60)),
    ],
)
def test_duty_cycles_parse(text: str, expected: DutyCycle):
    assert DutyCycle.parse(text) == expected


def test_continuous_scanning_records_one_scan_per_window():
    assert DutyCycle.always(30).continuous
    assert "continuous" in DutyCycle.always(30).describe()


@pytest.mark.parametrize("text", ["", "4", "4/300-120", "0.5/1-2", "x/1-2", "continuous:0"])
def test_bad_duty_cycles_are_refused(text: str):
    with pytest.raises(NodeConfigError):
        DutyCycle.parse(text)


@pytest.mark.parametrize(
    "values", [(0.5, 10, 10), (5, 4, 10), (5, 10, 9), (float("nan"), 10, 10), (5, 10, float("inf"))]
)
def test_inconsistent_duty_cycles_are_refused(values):
    with pytest.raises(NodeConfigError):
        DutyCycle(*values)


def test_decode_reads_raw_advertising_data_in_both_forms():
    assert decode(report(bytes(ADV))) == ADV
    assert decode(report(ADV.to_bytes(flags=False))) == ADV


def test_decode_reads_service_data_when_the_os_parsed_it():
    assert decode(report(None, service_data=ADV.service_data)) == ADV
    with pytest.raises(ProtocolError) as error:
        decode(report(None, service_data=ADV.service_data[:-1]))
    assert error.value.code == "ad_service_data_length"
    with pytest.raises(ProtocolError) as error:
        decode(report(None))
    assert error.value.code == "ad_missing_service_data"


@given(st.binary(max_size=40))
def test_decoding_any_bytes_raises_only_protocol_errors(data: bytes):
    with contextlib.suppress(ProtocolError):
        decode(report(data))


def test_a_scan_keeps_decoded_reports_without_the_address():
    scan = ScanBuffer(NOW - 1)
    assert scan.add(report())
    (record,) = scan.records
    assert (record.rpi, record.aem, record.rssi) == (ADV.rpi, ADV.aem, -60)
    assert record.interval == int(NOW // 600)
    assert record.address is None and record.address_type is None  # spec ADV-14


def test_undecodable_reports_are_counted_by_code_and_dropped():
    scan = ScanBuffer(NOW)
    assert not scan.add(report(b"\x02\x01\x06"))
    assert not scan.add(report(bytes(40)))
    assert scan.add(report())
    assert scan.dropped == {"ad_missing_service_uuid": 1, "ad_too_long": 1}
    record = scan.close(NOW + 4)
    assert (record.sightings, record.dropped) == (1, 2)


def test_a_report_from_before_the_epoch_is_dropped_not_raised():
    scan = ScanBuffer(NOW)
    assert not scan.add(report(wall_time=-1.0))
    assert scan.dropped == {"invalid_interval": 1}


def test_a_full_scan_drops_and_counts():
    scan = ScanBuffer(NOW, limit=2)
    assert [scan.add(report()) for _ in range(3)] == [True, True, False]
    assert scan.dropped == {SCAN_BUFFER_FULL: 1}


def test_peers_are_counted_by_address_and_mixed_pairs_are_noticed():
    scan = ScanBuffer(NOW)
    other = Advertisement(bytes(16), ADV.aem)
    scan.add(report(address="01:00:00:00:00:01"))
    scan.add(report(address="01:00:00:00:00:01"))
    scan.add(report(bytes(other), address="01:00:00:00:00:02"))
    assert (scan.peers, scan.mismatches) == (2, 0)
    # spec ADV-3 broken by a sender: old identifier from a new address, and the reverse
    scan.add(report(address="01:00:00:00:00:03"))
    scan.add(report(bytes(other), address="01:00:00:00:00:01"))
    assert scan.mismatches == 2


def test_closing_a_scan_gives_its_record_and_forgets_addresses():
    scan = ScanBuffer(NOW)
    scan.add(report())
    record = scan.close(NOW - 5)  # a clock step back never makes a scan end before it starts
    assert record.start_wall_time == record.end_wall_time == NOW
    assert record.start_interval == int(NOW // 600)
    assert scan.peers == 0


def test_a_scan_that_hears_the_legacy_app_keeps_its_blids_apart():
    from bluezone.protocol.bluezone2020 import LegacyAdvertisement

    legacy = bytes(LegacyAdvertisement(bytes(range(12))))
    hearing, deaf = ScanBuffer(NOW, hear_legacy=True), ScanBuffer(NOW)
    for buffer in (hearing, deaf):
        assert buffer.add(report()) and buffer.add(report(bytes(3))) is False
        buffer.add(report(legacy, address="0A:0B:0C:0D:0E:0F"))
    assert [r.blid for r in hearing.legacy_records] == [bytes(range(12))]
    assert hearing.dropped == {"ad_missing_service_uuid": 1}  # only the 3 zero bytes
    assert deaf.legacy_records == [] and deaf.dropped == {"ad_missing_service_uuid": 2}
    assert len(hearing.records) == len(deaf.records) == 1
