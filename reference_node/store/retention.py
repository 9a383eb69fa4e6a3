"""Retention: what the store deletes once it is older than 14 days (spec MATCH-6, KS-11)."""

from __future__ import annotations

import sqlite3

from bluezone.protocol import params
from bluezone.reference_node.store import legacy
from bluezone.reference_node.store.records import PruneResult, check_interval


def cutoff(now_interval: int) -> int:
    """Return the first interval still kept at ``now_interval`` (spec MATCH-6)."""
    check_interval(now_interval, "now_interval")
    return max(0, now_interval - params.RETENTION_INTERVALS)


def prune(connection: sqlite3.Connection, now_interval: int) -> PruneResult:
    """Delete everything older than 14 days at ``now_interval``; return the counts.

    spec MATCH-6: sightings with interval < now_interval - 2016 go.
    spec KS-11: an own key goes once its last interval is older than that, which is when
    no sighting of its identifiers can be kept anywhere; reports, batches and exposure
    checks, scans and downloaded batches follow the same 14 days.
    """
    first_kept = cutoff(now_interval)

    def delete(sql: str) -> int:
        return connection.execute(sql, (first_kept,)).rowcount

    # spec BZ20-12: legacy sightings follow the same 14 days.
    legacy_sightings = legacy.prune(connection, first_kept)
    return PruneResult(
        sightings=delete("DELETE FROM sightings WHERE interval < ?"),
        reports=delete("DELETE FROM reports WHERE made_interval < ?"),
        keys=delete("DELETE FROM own_keys WHERE rolling_start + rolling_period <= ?"),
        batches=delete("DELETE FROM batches WHERE seen_interval < ?"),
        exposure_checks=delete("DELETE FROM exposure_checks WHERE checked_interval < ?"),
        scans=delete("DELETE FROM scans WHERE start_interval < ?"),
        # A batch that ended before the cutoff holds only keys that ended before it too.
        downloaded_batches=connection.execute(
            "DELETE FROM server_batches WHERE end_s < ?",
            (first_kept * params.INTERVAL_SECONDS,),
        ).rowcount,
        legacy_sightings=legacy_sightings,
    )
