"""One exposure check against the store: fetch keys, record batches, assess, record the result.

Used by the running node and by ``bluezone node check``. The arithmetic is in
`bluezone.reference_node.node.exposure`; this module does the I/O around it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.protocol.revisions import resolve_revisions
from bluezone.protocol.risk.levels import NONE, level_change
from bluezone.reference_node.errors import BatchConflictError
from bluezone.reference_node.node.exposure import (
    WITHDRAWN_WORDING,
    ExposureAssessment,
    RiskSettings,
    assess,
)
from bluezone.reference_node.node.key_source import KeySource, PublishedBatch, RejectedBatch
from bluezone.reference_node.node.log import LOGGER_NAME
from bluezone.reference_node.store import (
    AsyncStore,
    BatchRecord,
    ExposureCheckRecord,
    StoredExposureCheck,
)

log = logging.getLogger(LOGGER_NAME)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """An exposure check as recorded: the assessment and the batches used or refused."""

    assessment: ExposureAssessment
    batches: tuple[PublishedBatch, ...]
    rejected: tuple[RejectedBatch, ...]
    record: StoredExposureCheck
    change: LevelChange | None = None

    @property
    def exposed(self) -> bool:
        """The v2 verdict (RISK-15)."""
        return self.assessment.exposed

    @property
    def level(self) -> str:
        """ "F1", "F2" or "none" (RISK-59)."""
        return self.assessment.level_name


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A change of level since the last check, and why (spec RISK-61)."""

    previous: str
    current: str
    change: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """JSON form, with what the user is told."""
        told = WITHDRAWN_WORDING if (self.change, self.reason) == ("withdrawn", "revoked") else ""
        return {
            "from": self.previous,
            "to": self.current,
            "change": self.change,
            "reason": self.reason,
            "wording": told,
        }


async def run_check(
    store: AsyncStore,
    key_source: KeySource,
    *,
    now_s: float,
    rssi_correction_db: int,
    risk: RiskSettings,
    executor: concurrent.futures.Executor | None = None,
) -> CheckOutcome:
    """Check the published keys against the store's sightings at unix time ``now_s``.

    Each batch is recorded as seen (a batch id seen before with other content is refused:
    BatchConflictError, a possible split view). Matching and scoring run in ``executor``
    (the loop's default thread pool when None) so a large check does not stall the radio.
    The result is stored (spec MATCH-10: it never leaves the device) and returned.
    """
    now_interval = interval_number(now_s)
    fetched = await key_source.fetch()
    batches: list[PublishedBatch] = []
    rejected = list(fetched.rejected)
    for batch in fetched.batches:
        try:
            await store.record_batch(BatchRecord(batch.batch_id, batch.digest, now_interval, now_s))
        except BatchConflictError as error:
            rejected.append(RejectedBatch(batch.batch_id, error.code))
            continue
        batches.append(batch)
    # spec MATCH-11: a revision in a later batch gives a key its report type.
    keys = resolve_revisions((batch.keys, batch.revised_keys) for batch in batches)
    previous = await _previous_level(store)
    # spec MATCH-6: only sightings kept at now_interval; scans from one interval earlier,
    # since a scan may start before the first sighting it holds.
    first = max(0, now_interval - params.RETENTION_INTERVALS)
    sightings = await store.sightings(first_interval=first)
    scans = await store.scans(first_interval=max(0, first - 1))
    call = functools.partial(assess, keys, sightings, scans, now_s, rssi_correction_db, risk)
    assessment = await asyncio.get_running_loop().run_in_executor(executor, call)
    change = None
    found = level_change(
        previous[0], assessment.level_name, previous[1], assessment.matched_keys
    )  # spec RISK-61
    if found is not None:
        change = LevelChange(previous[0], assessment.level_name, *found)
    details = assessment.to_json()
    details["rejected_batches"] = [{"batch_id": r.batch_id, "code": r.code} for r in rejected]
    details["level_change"] = None if change is None else change.to_json()
    record = await store.add_exposure_check(
        ExposureCheckRecord(
            checked_interval=now_interval,
            checked_wall_time=now_s,
            batch_ids=tuple(b.batch_id for b in batches),
            keys_checked=len(keys),
            matched_sightings=assessment.matched_sightings,
            details=details,
        )
    )
    log.info(
        "exposure check: %d keys in %d batches (%d refused), %d matched sightings, %s",
        len(keys),
        len(batches),
        len(rejected),
        assessment.matched_sightings,
        "EXPOSED" if assessment.exposed else "not exposed",
        extra={
            "event": "exposure_check",
            "fields": {
                "keys": len(keys),
                "batches": len(batches),
                "refused_batches": len(rejected),
                "matched_sightings": assessment.matched_sightings,
                "windows": len(assessment.windows),
                "exposed": assessment.exposed,
                "exposed_proximity": assessment.exposed_proximity,
            },
        },
    )
    if change is not None:
        log.info(
            "exposure level: %s -> %s (%s, %s)",
            change.previous,
            change.current,
            change.change,
            change.reason,
            extra={"event": "exposure_level", "fields": change.to_json()},
        )
    return CheckOutcome(assessment, tuple(batches), tuple(rejected), record, change)


async def _previous_level(store: AsyncStore) -> tuple[str, dict[str, int]]:
    """The level of the last recorded check and its matched keys (none before any)."""
    checks = await store.exposure_checks()
    if not checks:
        return NONE, {}
    details = checks[-1].details
    level = details.get("level")
    matched = details.get("matched_keys")
    name = level.get("level") if isinstance(level, dict) else None
    return (
        name if name in ("F1", "F2") else NONE,
        dict(matched) if isinstance(matched, dict) else {},
    )
