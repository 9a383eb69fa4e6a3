"""One exposure check against the store: fetch keys, record batches, assess, record the result.

Used by the running node and by ``bluezone node check``. The arithmetic is in
`bluezone.protocol.receiver`; this module does the I/O around it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.protocol.receiver import ExposureAssessment, RiskSettings
from bluezone.reference_node.errors import BatchConflictError
from bluezone.reference_node.node.exposure import assess
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

    @property
    def exposed(self) -> bool:
        """The v2 verdict (RISK-15)."""
        return self.assessment.exposed


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
    keys = [key for batch in batches for key in batch.keys]
    # spec MATCH-6: only sightings kept at now_interval; scans from one interval earlier,
    # since a scan may start before the first sighting it holds.
    first = max(0, now_interval - params.RETENTION_INTERVALS)
    sightings = await store.sightings(first_interval=first)
    scans = await store.scans(first_interval=max(0, first - 1))
    call = functools.partial(assess, keys, sightings, scans, now_s, rssi_correction_db, risk)
    assessment = await asyncio.get_running_loop().run_in_executor(executor, call)
    details = assessment.to_json()
    details["rejected_batches"] = [{"batch_id": r.batch_id, "code": r.code} for r in rejected]
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
    return CheckOutcome(assessment, tuple(batches), tuple(rejected), record)
