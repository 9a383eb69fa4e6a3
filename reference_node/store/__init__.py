"""The node's storage: SQLite in WAL mode under a data directory, with 14-day retention.

``Store`` is the synchronous API (one transaction per logical write, typed errors);
``AsyncStore`` runs it in one dedicated thread for the event loop.
"""

from bluezone.reference_node.store.aio import AsyncStore
from bluezone.reference_node.store.records import (
    BatchRecord,
    CachedBatch,
    ExposureCheckRecord,
    PruneResult,
    ReportedKey,
    ScanRecord,
    ServerLogState,
    SightingRecord,
    StoredExposureCheck,
    StoredKey,
    StoredReport,
    StoredScan,
    StoredSighting,
    StoredUpload,
    UploadRecord,
)
from bluezone.reference_node.store.store import STORE_FILENAME, Store

__all__ = [
    "STORE_FILENAME",
    "AsyncStore",
    "BatchRecord",
    "CachedBatch",
    "ExposureCheckRecord",
    "PruneResult",
    "ReportedKey",
    "ScanRecord",
    "ServerLogState",
    "SightingRecord",
    "Store",
    "StoredExposureCheck",
    "StoredKey",
    "StoredReport",
    "StoredScan",
    "StoredSighting",
    "StoredUpload",
    "UploadRecord",
]
