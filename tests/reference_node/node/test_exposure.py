"""The node's exposure glue: stored records in, the receiver's assessment out."""

from __future__ import annotations

from bluezone.protocol.receiver import HeardSighting, ScanPeriod
from bluezone.protocol.receiver import assess as assess_exposures
from bluezone.reference_node.node.exposure import assess, default_risk_settings
from bluezone.reference_node.store import StoredScan, StoredSighting
from tests.protocol.test_receiver import KEY, NOW, SCANS, SIGHTINGS

RISK = default_risk_settings()


def stored(heard: HeardSighting, row: int) -> StoredSighting:
    s = heard.sighting
    return StoredSighting(
        s.rpi,
        s.aem,
        s.interval,
        heard.heard_s,
        heard.heard_s,
        s.rssi,
        None,
        None,
        "sim",
        sighting_id=row,
    )


def stored_scan(scan: ScanPeriod, row: int) -> StoredScan:
    return StoredScan(scan.start_s, scan.end_s, int(scan.start_s // 600), 1, 0, scan_id=row)


def test_stored_records_are_assessed_as_the_receiver_assesses_them():
    sightings = [stored(s, i) for i, s in enumerate(SIGHTINGS)]
    scans = [stored_scan(s, i) for i, s in enumerate(SCANS)]
    expected = assess_exposures([KEY], SIGHTINGS, SCANS, NOW, 0, RISK)
    assert assess([KEY], sightings, scans, NOW, 0, RISK, workers=2) == expected
    assert expected.matched_sightings == 4


def test_the_default_scorers_are_the_shipped_profiles():
    assert RISK.proximity is not None
    assert RISK.describe()["v2"]["score_sum_threshold"] == 900
