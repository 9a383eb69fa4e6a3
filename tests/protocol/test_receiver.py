"""The receiver's assessment of heard sightings and scans (RISK-3..6, RISK-10..15, MATCH)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from bluezone.protocol.keys import Metadata, TemporaryExposureKey, derive_rpi, encrypt_aem
from bluezone.protocol.matching import Sighting, find_matches
from bluezone.protocol.receiver import (
    NO_METADATA,
    OUTSIDE_SCAN,
    HeardSighting,
    RiskSettings,
    ScanPeriod,
    assess,
)
from bluezone.protocol.risk.errors import InvalidSightingError
from bluezone.reference_node.risk_profiles import proximity_profile, v2_profile

DAY = 19_000
T = DAY * 86_400 + 43_200  # noon of day 19000: the worked example of spec RISK-4, RISK-5
KEY = TemporaryExposureKey(bytes(range(16)), DAY * 144, 144)
NOW = (KEY.end_interval + 12) * 600  # the embargo is just over (KS-12)
TX_POWER = -4


def heard(at: float, attenuation: int, *, key: TemporaryExposureKey = KEY, aem: bool = True):
    """A sighting of ``key`` heard at unix time ``at`` with the given attenuation."""
    interval = int(at // 600)
    rpi = derive_rpi(key.key_data, interval)
    metadata = bytes(Metadata.for_tx_power(TX_POWER, 2))
    aem_bytes = encrypt_aem(key.key_data, rpi, metadata) if aem else None
    return HeardSighting(Sighting(rpi, interval, aem_bytes, TX_POWER - attenuation), at)


def scan(start: float) -> ScanPeriod:
    """A scan of 4 s from ``start``."""
    return ScanPeriod(start, start + 4)


SCANS = [scan(T), scan(T + 200), scan(T + 400), scan(T + 1200)]
SIGHTINGS = [heard(T + 1, 50), heard(T + 2, 56), heard(T + 401, 60), heard(T + 1201, 62)]
ENX = RiskSettings(v2_profile("lfph-narrower-net-1.0"), proximity_profile())


def test_the_worked_example_of_spec_risk_5_and_risk_12():
    result = assess([KEY], SIGHTINGS, SCANS, NOW, 0, ENX)
    (window,) = result.windows
    assert (window.first_scan_s, window.last_scan_s) == (T, T + 1200)
    assert window.scan_instances == 3 and window.seconds == 800
    assert window.typical_attenuation_db == (53, 62) and window.min_attenuation_db == 50
    assert window.seconds_by_bucket == {"immediate": 300, "near": 500}
    assert window.infectiousness == "standard" and window.report_type == "confirmed_test"
    assert window.calibration_confidence == 2
    assert (window.v2_weighted_duration, window.v2_score) == (950, 285)
    (day,) = result.days
    assert (day.day, day.v2_score_sum, day.v2_maximum_score) == (DAY, 285, 285)
    assert not day.exposed and not result.exposed  # 285 < 900 (RISK-15)
    assert result.matched_sightings == 4 and result.exposures == 1
    assert result.sightings_left_out == {}


def test_a_scan_that_heard_nothing_still_sets_the_next_gap():
    # Without the empty scan at T+200 the third scan would count 300 s, not 200 (RISK-4).
    result = assess([KEY], SIGHTINGS, [SCANS[0], *SCANS[2:]], NOW, 0, ENX)
    assert result.windows[0].seconds == 900


def test_high_infectiousness_reaches_the_threshold():
    key = dataclasses.replace(KEY, report_type=1, days_since_onset=0)
    sightings = [heard(T + 300 * n + 1, 58, key=key) for n in range(4)]
    scans = [scan(T + 300 * n) for n in range(4)]
    result = assess([key], sightings, scans, NOW, 0, ENX)
    assert result.windows[0].infectiousness == "high"
    assert result.days[0].v2_score_sum == 1200 and result.exposed
    assert result.days[0].exposed_proximity is not None


def test_the_receiver_correction_enters_the_attenuation():
    result = assess([KEY], SIGHTINGS[:1], SCANS[:1], NOW, 5, ENX)
    # attenuation = tx - (rssi + correction) = 50 - 5 (RISK-3)
    assert result.windows[0].typical_attenuation_db == (45, 45)


def test_sightings_outside_scans_or_without_metadata_are_left_out_and_counted():
    extra = [heard(T + 100, 50), heard(T + 401.5, 50, aem=False)]
    result = assess([KEY], SIGHTINGS + extra, SCANS, NOW, 0, ENX)
    assert result.sightings_left_out == {OUTSIDE_SCAN: 1, NO_METADATA: 1}
    assert result.matched_sightings == 4


def test_embargoed_and_unmatched_keys():
    other = TemporaryExposureKey(bytes(16), DAY * 144, 144)
    result = assess([other, KEY], SIGHTINGS, SCANS, NOW - 600, 0, ENX)
    assert result.keys_rejected == {"embargoed_key": 2}
    assert result.windows == () and result.days == () and not result.exposed
    result = assess([other, KEY], SIGHTINGS, SCANS, NOW, 0, ENX)
    assert result.keys_checked == 2 and result.exposures == 1


def test_scans_starting_in_one_second_are_one_scan():
    scans = [scan(T), scan(T + 0.5), *SCANS[1:]]
    assert assess([KEY], SIGHTINGS, scans, NOW, 0, ENX).windows[0].seconds == 800


def test_without_the_proximity_profile_only_v2_scores():
    result = assess([KEY], SIGHTINGS, SCANS, NOW, 0, RiskSettings(ENX.v2))
    assert result.windows[0].proximity_score is None
    assert result.exposed_proximity is None
    assert "proximity" not in result.to_json()["scorers"]


def test_the_json_form_carries_no_key_material():
    text = str(assess([KEY], SIGHTINGS, SCANS, NOW, 0, ENX).to_json())
    assert KEY.key_data.hex() not in text
    assert all(s.sighting.rpi.hex() not in text for s in SIGHTINGS)


def test_a_window_per_30_minutes():
    sightings = [heard(T + 240 * n + 1, 60) for n in range(10)]
    scans = [scan(T + 240 * n) for n in range(10)]
    result = assess([KEY], sightings, scans, NOW, 0, ENX)
    assert [w.scan_instances for w in result.windows] == [8, 2]  # RISK-5: < 1800 s from first


def test_a_sighting_without_rssi_is_left_out():
    no_rssi = HeardSighting(dataclasses.replace(SIGHTINGS[0].sighting, rssi=None), T + 1)
    result = assess([KEY], [no_rssi, *SIGHTINGS[1:]], SCANS, NOW, 0, ENX)
    assert result.sightings_left_out == {NO_METADATA: 1} and result.matched_sightings == 3


def test_the_matcher_is_the_one_given():
    calls = []

    def matcher(keys, sightings):
        calls.append((len(keys), len(sightings)))
        return find_matches(keys, sightings)

    assert assess([KEY], SIGHTINGS, SCANS, NOW, 0, ENX, matcher=matcher) == assess(
        [KEY], SIGHTINGS, SCANS, NOW, 0, ENX
    )
    assert calls == [(1, 4)]


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "1", None])
def test_times_must_be_finite_numbers(value):
    with pytest.raises(InvalidSightingError):
        ScanPeriod(value, T)
    with pytest.raises(InvalidSightingError):
        HeardSighting(SIGHTINGS[0].sighting, value)


def test_a_scan_cannot_end_before_it_starts():
    with pytest.raises(InvalidSightingError):
        ScanPeriod(T, T - 1)
