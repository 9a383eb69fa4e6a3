"""The node's side of the exposure assessment: the shipped scorers and the stored records.

The arithmetic is `bluezone.protocol.receiver.assess`; this module hands it the store's
sightings and scans, the shipped risk profiles, and the node's matching pool.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.receiver import (
    ExposureAssessment,
    HeardSighting,
    RiskSettings,
    ScanPeriod,
)
from bluezone.protocol.receiver import assess as assess_exposures
from bluezone.reference_node.node.matching_pool import find_matches_parallel
from bluezone.reference_node.risk_profiles import DEFAULT_V2_PROFILE, proximity_profile, v2_profile
from bluezone.reference_node.store import StoredScan, StoredSighting


def default_risk_settings() -> RiskSettings:
    """LFPH's "narrower net 1.0" (RISK-15) and the shipped proximity profile (spec 5.8)."""
    return RiskSettings(v2_profile(DEFAULT_V2_PROFILE), proximity_profile(), DEFAULT_V2_PROFILE)


def matching_workers() -> int:
    """How many processes a large exposure check matches in: this machine's CPUs."""
    return os.cpu_count() or 1


def assess(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[StoredSighting],
    scans: Sequence[StoredScan],
    now_s: float,
    rssi_correction_db: int,
    risk: RiskSettings,
    *,
    workers: int | None = None,
) -> ExposureAssessment:
    """Assess stored sightings and scans at unix time ``now_s`` (see `protocol.receiver`).

    Large checks are matched in ``workers`` processes (default: `matching_workers`).
    """
    matcher = functools.partial(
        find_matches_parallel, workers=matching_workers() if workers is None else workers
    )
    return assess_exposures(
        keys,
        [HeardSighting(s.to_protocol(), s.wall_time) for s in sightings],
        [ScanPeriod(s.start_wall_time, s.end_wall_time) for s in scans],
        now_s,
        rssi_correction_db,
        risk,
        matcher=matcher,
    )
