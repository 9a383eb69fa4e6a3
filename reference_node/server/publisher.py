"""Batch publication: pending keys to a signed export file, a log leaf and a checkpoint.

One publication (spec SRV-9, SRV-10): take up to MAX_BATCH_KEYS pending keys, pad them with
random keys to the minimum batch size, order them by a keyed hash, sign the export file,
append its leaf to the Merkle tree and sign the new checkpoint; then commit batch, key
assignment and checkpoint in one storage transaction; only then write the static files,
batch first, checkpoint next, index last. The storage is the truth: on start, ``recover``
rewrites any file the last run did not finish, so a crash at any point leaves the log and
the published files agreeing, and a key whose upload was answered is either pending or in a
committed batch.

With witnesses configured (spec WIT-3, WIT-4), the new checkpoint goes to each witness's
C2SP add-checkpoint between the batch file and the checkpoint files; the cosignatures that
verify are stored with the checkpoint, and ``v1/checkpoint`` is replaced only by a
checkpoint cosigned by the quorum. The newest signed checkpoint is always at
``v1/checkpoints/latest`` and at its own size.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256

from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from bluezone.protocol.export import ExportKey, ExportPayload, ExportSigner, sign_export
from bluezone.protocol.keys import interval_number
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import MerkleTree
from bluezone.protocol.note import NoteSigner
from bluezone.protocol.params import (
    BATCH_ORDER_SECRET_BYTES,
    EXPORT_BATCH_NUM,
    EXPORT_BATCH_SIZE,
    INTERVALS_PER_DAY,
    MAX_BATCH_KEYS,
    MIN_BATCH_KEYS,
    PADDING_KEY_RANDOM_BYTES,
    RETENTION_INTERVALS,
)
from bluezone.protocol.upload import (
    batch_order,
    padding_key_count,
    padding_keys,
    transmission_risk,
)
from bluezone.reference_node.server.errors import ConfigError, NotFoundError
from bluezone.reference_node.server.files import (
    CHECKPOINT_PATH,
    INDEX_PATH,
    INDEX_TEXT_PATH,
    LATEST_CHECKPOINT_PATH,
    PublicFiles,
    batch_path,
    checkpoint_path,
    index_text,
)
from bluezone.reference_node.server.index import BatchIndex, IndexEntry
from bluezone.reference_node.server.storage import (
    BatchRecord,
    CheckpointRecord,
    PendingKey,
    Storage,
)
from bluezone.reference_node.server.witnessing import (
    Cosigners,
    WitnessPolicy,
    add_verified_cosignatures,
)

log = logging.getLogger("bluezone.server.publisher")

# spec SRV-12: the index lists batches that ended within this window (the 14-day retention
# of KS-11 plus one day, so a device that was offline a day still finds every batch).
INDEX_WINDOW_S = (RETENTION_INTERVALS + INTERVALS_PER_DAY) * 600


@dataclass(frozen=True, slots=True)
class PublisherConfig:
    """How batches are made: region, batch size bounds, whether to publish padding only."""

    region: str = ""
    min_batch_keys: int = MIN_BATCH_KEYS
    max_batch_keys: int = MAX_BATCH_KEYS
    publish_empty: bool = True


@dataclass(frozen=True, slots=True)
class BuiltBatch:
    """A batch ready to commit: its record, export file bytes and checkpoint."""

    record: BatchRecord
    archive: bytes
    checkpoint: CheckpointRecord
    row_ids: tuple[int, ...]
    revision_ids: tuple[int, ...] = ()


def _export_key(pending: PendingKey) -> ExportKey:
    return ExportKey(
        pending.key.key_data,
        pending.key.rolling_start,
        pending.key.rolling_period,
        transmission_risk_level=transmission_risk(pending.key.report_type),  # spec SRV-10
        report_type=pending.key.report_type,
        days_since_onset_of_symptoms=pending.key.days_since_onset,
    )


def _steps_none(step: str) -> None:
    """Default step hook: nothing (tests use it to crash at a chosen step)."""


class Publisher:
    """Makes batches and keeps the in-memory Merkle tree equal to the stored log."""

    def __init__(
        self,
        storage: Storage,
        files: PublicFiles,
        log_signer: NoteSigner,
        export_signer: ExportSigner,
        config: PublisherConfig,
        clock: Callable[[], float],
        random_bytes: Callable[[int], bytes],
        on_step: Callable[[str], None] = _steps_none,
        witnesses: WitnessPolicy | None = None,
        cosigners: Cosigners | None = None,
    ) -> None:
        """Use ``clock`` (unix seconds) and ``random_bytes(n)`` (a CSPRNG) for every draw.

        ``witnesses`` holds the witness keys and quorum (WIT-4); ``cosigners`` asks the
        witnesses at each publication (WIT-3), None when the witnesses pull (SRV-16).
        """
        self.storage = storage
        self.files = files
        self.log_signer = log_signer
        self.export_signer = export_signer
        self.config = config
        self.clock = clock
        self.random_bytes = random_bytes
        self.on_step = on_step
        self.witnesses = witnesses or WitnessPolicy()
        self.cosigners = cosigners
        self.tree = MerkleTree()
        self.latest_note: bytes | None = None
        # spec WIT-4: the newest checkpoint with the quorum's cosignatures (v1/checkpoint).
        self.served_note: bytes | None = None
        self._served_size = 0
        self._last_batch_full = False
        self._last_end_s: int | None = None
        self._lock = asyncio.Lock()

    @property
    def origin(self) -> str:
        """The log's origin, its signing key's name (spec LOG-8)."""
        return self.log_signer.name

    async def recover(self) -> None:
        """Load the log from storage, check it, and rewrite unfinished files (spec SRV-10).

        Refuses (ConfigError) a stored log whose checkpoint does not match its leaves, and a
        public directory holding batches the storage does not know: that storage lost
        committed batches, and signing on from it would fork the log.
        """
        batches = await self.load()
        self.files.remove_temporary()
        published = self.files.numbered("v1/batches", ".zip")
        if published and published[-1] >= len(batches):
            raise ConfigError(
                "SRV-10: the public directory holds batches the database does not: "
                "restore the database before publishing again"
            )
        await self._sync_files(batches)

    async def load(self) -> list[BatchRecord]:
        """Load and check the log from storage, writing no file; return its batches.

        A process that does not publish (OPS-4) only loads; the publisher recovers.
        """
        batches = await self.storage.batches()
        self.tree = MerkleTree(b.leaf_hash for b in batches)
        checkpoints = await self.storage.checkpoints(len(batches))
        if batches:
            if not checkpoints or checkpoints[-1].tree_size != len(batches):
                raise ConfigError("SRV-10: the stored log has no checkpoint for its size")
            verified = verify_checkpoint(checkpoints[-1].note, self.log_signer.verifier())
            if verified.checkpoint.root_hash != self.tree.root():
                raise ConfigError("SRV-10: the stored checkpoint does not match the leaves")
            self.latest_note = checkpoints[-1].note
            self._last_end_s = batches[-1].end_s
            if not self._meets_quorum(self.latest_note):
                checkpoints = await self.storage.checkpoints()
            served = [c for c in checkpoints if self._meets_quorum(c.note)]
            if served:
                self.served_note, self._served_size = served[-1].note, served[-1].tree_size
        return batches

    async def refresh(self) -> None:
        """Append leaves another server process committed (shared PostgreSQL storage)."""
        async with self._lock:
            for batch in await self.storage.batches(self.tree.size):
                if batch.number == self.tree.size:
                    self.tree.append(batch.leaf_hash)

    async def _sync_files(self, batches: list[BatchRecord]) -> None:
        for i, batch in enumerate(batches):
            path = batch_path(batch.number)
            # Files are renamed into place whole, so a file of the right size is complete;
            # the newest batch is compared byte for byte all the same.
            if self.files.size(path) != batch.archive_size or i == len(batches) - 1:
                try:
                    archive = await self.storage.batch_archive(batch.number)
                except NotFoundError:  # spec SRV-27: past retention, its file goes too
                    await asyncio.to_thread(self.files.remove, path)
                    continue
                if self.files.read(path) != archive:
                    log.warning("rewriting batch file %d after an interrupted publication", i)
                    await asyncio.to_thread(self.files.write, path, archive)
        sizes = set(self.files.numbered("v1/checkpoints"))
        for record in await self.storage.checkpoints():
            path = checkpoint_path(record.tree_size)
            if record.tree_size not in sizes or self.files.read(path) != record.note:
                await asyncio.to_thread(self.files.write, path, record.note)
        if self.latest_note is not None:
            if self.files.read(LATEST_CHECKPOINT_PATH) != self.latest_note:
                await asyncio.to_thread(self.files.write, LATEST_CHECKPOINT_PATH, self.latest_note)
            await self._write_index(batches)
        served = self.files.read(CHECKPOINT_PATH)
        if self.served_note is None and served is not None:
            await asyncio.to_thread(self.files.remove, CHECKPOINT_PATH)
        elif self.served_note is not None and served != self.served_note:
            await asyncio.to_thread(self.files.write, CHECKPOINT_PATH, self.served_note)

    def _meets_quorum(self, note: bytes) -> bool:
        return self.witnesses.meets_quorum(note, self.log_signer.verifier())

    async def _ask_witnesses(self, note: bytes, tree_size: int) -> bytes:
        """Return ``note`` with the witnesses' verified cosignatures added (spec WIT-3)."""
        if self.cosigners is None:
            return note
        tree = self.tree
        lines = await self.cosigners.request(
            note, tree_size, lambda old: tree.consistency_proof(old, tree_size)
        )
        return add_verified_cosignatures(note, lines, self.log_signer.verifier(), self.witnesses)

    async def _write_checkpoint(self, tree_size: int, note: bytes) -> None:
        """Write a checkpoint's files; serve it as v1/checkpoint once cosigned (WIT-4)."""
        await asyncio.to_thread(self.files.write, checkpoint_path(tree_size), note)
        if tree_size == self.tree.size:
            self.latest_note = note
            await asyncio.to_thread(self.files.write, LATEST_CHECKPOINT_PATH, note)
        if tree_size >= self._served_size and self._meets_quorum(note):
            self.served_note, self._served_size = note, tree_size
            await asyncio.to_thread(self.files.write, CHECKPOINT_PATH, note)

    async def _write_index(self, batches: list[BatchRecord] | None = None) -> None:
        now_s = int(self.clock())
        if batches is None:
            batches = await self.storage.batches()
        recent = [b for b in batches if b.end_s >= now_s - INDEX_WINDOW_S]
        index = BatchIndex(
            self.origin,
            len(batches),
            tuple(
                IndexEntry(
                    b.number, b.export_bin_sha256, b.start_s, b.end_s, b.key_count, b.archive_size
                )
                for b in recent
            ),
        )
        await asyncio.to_thread(
            self.files.write, INDEX_TEXT_PATH, index_text([b.number for b in recent])
        )
        await asyncio.to_thread(self.files.write, INDEX_PATH, bytes(index))

    def _build(
        self,
        pending: list[PendingKey],
        number: int,
        now_s: int,
        revisions: list[PendingKey] | None = None,
    ) -> BuiltBatch:
        """Make the signed export file, leaf and checkpoint of batch ``number`` (SRV-9).

        ``revisions`` go to ``revised_keys``, in the batch's keyed order, unpadded (SRV-25).
        """
        revisions = revisions or []
        real = [_export_key(p) for p in pending]
        count = padding_key_count(len(real), self.config.min_batch_keys)
        now_interval = interval_number(now_s)
        padding = padding_keys(
            count, real, now_interval, self.random_bytes(count * PADDING_KEY_RANDOM_BYTES)
        )
        order_secret = self.random_bytes(BATCH_ORDER_SECRET_BYTES)
        ordered = batch_order([*real, *padding], order_secret)
        revised = batch_order([_export_key(r) for r in revisions], order_secret)
        start_s = self._last_end_s if self._last_end_s is not None else now_s
        payload = ExportPayload(
            start_timestamp=min(start_s, now_s),
            end_timestamp=now_s,
            region=self.config.region,
            batch_num=EXPORT_BATCH_NUM,
            batch_size=EXPORT_BATCH_SIZE,
            keys=tuple(ordered),
            revised_keys=tuple(revised),
        )
        export = sign_export(payload, [self.export_signer])
        archive = export.to_zip()
        leaf = BatchLeaf.for_export(number, export.export_bin)
        tree = MerkleTree(self.tree.leaf_hash_at(i) for i in range(self.tree.size))
        tree.append(leaf.leaf_hash())
        checkpoint = Checkpoint(self.origin, tree.size, tree.root())
        note = sign_checkpoint(checkpoint, self.log_signer)
        record = BatchRecord(
            number,
            leaf.leaf_hash(),
            leaf.export_bin_sha256,
            sha256(archive).digest(),
            len(archive),
            payload.start_timestamp,
            payload.end_timestamp,
            len(ordered),
        )
        return BuiltBatch(
            record,
            archive,
            CheckpointRecord(tree.size, note),
            tuple(p.row_id for p in pending),
            tuple(r.row_id for r in revisions),
        )

    async def publish_once(self, force: bool = False) -> BatchRecord | None:
        """Publish one batch of pending keys; return it, or None if there was nothing to do.

        With no pending key, a padding-only batch is published when ``force`` or the
        configuration's ``publish_empty`` says so (a steady cadence hides when uploads came).
        """
        async with self._lock:
            now_s = int(self.clock())
            pending = await self.storage.pending_keys(
                self.config.max_batch_keys, interval_number(now_s)
            )
            room = self.config.max_batch_keys - len(pending)
            revisions = await self.storage.pending_revisions(room) if room > 0 else []
            self._last_batch_full = len(pending) + len(revisions) >= self.config.max_batch_keys
            if not pending and not revisions and not (force or self.config.publish_empty):
                return None
            number = self.tree.size
            log.info("publishing batch %d", number)
            built = await asyncio.to_thread(self._build, pending, number, now_s, revisions)
            self.on_step("built")
            await self.storage.add_batch(
                built.record, built.archive, built.row_ids, built.checkpoint, built.revision_ids
            )
            self.tree.append(built.record.leaf_hash)
            self.latest_note = built.checkpoint.note
            self._last_end_s = built.record.end_s
            self.on_step("committed")
            await asyncio.to_thread(self.files.write, batch_path(number), built.archive)
            self.on_step("batch_file")
            size = built.checkpoint.tree_size
            note = await self._ask_witnesses(built.checkpoint.note, size)
            if note != built.checkpoint.note:
                await self.storage.replace_checkpoint(CheckpointRecord(size, note))
            self.on_step("cosigned")
            await self._write_checkpoint(size, note)
            self.on_step("checkpoint_file")
            await self._write_index()
            self.on_step("index_file")
            log.info(
                "published batch %d: %d keys, %d of them padding, %d revisions",
                number,
                built.record.key_count,
                built.record.key_count - len(built.row_ids),
                len(built.revision_ids),
            )
            return built.record

    async def apply_retention(self, ended_before_s: int) -> list[int]:
        """Delete the export files of batches that ended before ``ended_before_s`` (SRV-27).

        Storage first (so a crash leaves nothing to rewrite), then the public files; leaf
        hashes, export digests and checkpoints stay, so proofs still verify. Returns the
        numbers of the batches whose files went.
        """
        async with self._lock:
            numbers = await self.storage.expire_archives(ended_before_s)
            for number in numbers:
                await asyncio.to_thread(self.files.remove, batch_path(number))
            if numbers and self.latest_note is not None:
                await self._write_index()  # lists no batch whose file is gone
            return numbers

    async def store_cosigned(self, tree_size: int, note: bytes) -> None:
        """Replace a checkpoint's note by one carrying more cosignatures (spec SRV-16)."""
        async with self._lock:
            await self.storage.replace_checkpoint(CheckpointRecord(tree_size, note))
            await self._write_checkpoint(tree_size, note)

    async def cosign_latest(self) -> None:
        """Ask the witnesses again for the newest checkpoint if one has not cosigned (WIT-3)."""
        async with self._lock:
            note = self.latest_note
            if note is None or self.cosigners is None:
                return
            if self.witnesses.cosigned_by_all(note, self.log_signer.verifier()):
                return
            size = self.tree.size
            cosigned = await self._ask_witnesses(note, size)
            if cosigned != note:
                await self.storage.replace_checkpoint(CheckpointRecord(size, cosigned))
                await self._write_checkpoint(size, cosigned)

    async def publish_pending(self) -> list[BatchRecord]:
        """Publish this period's batches (at least one if publish_empty) (spec SRV-9).

        Another batch follows only when the last one was full (the backlog is more than
        one batch): keys uploaded while a batch was being made wait for the next period,
        so no batch goes out off schedule and batch times show nothing of upload times.
        """
        published: list[BatchRecord] = []
        while True:
            record = await self.publish_once()
            if record is None:
                return published
            published.append(record)
            if not self._last_batch_full:
                return published
            if await self.storage.pending_count(interval_number(int(self.clock()))) == 0:
                return published

    async def run(self, period_s: float) -> None:
        """Publish at every multiple of ``period_s`` (unix time) until cancelled.

        At start, and after each publication, the newest checkpoint goes to the witnesses
        again while one of them has not cosigned it (spec WIT-3).
        """
        try:
            await self.cosign_latest()
        except Exception:
            log.exception("asking the witnesses failed; it will be retried at the next period")
        while True:
            now = self.clock()
            await asyncio.sleep(period_s - now % period_s)
            try:
                await self.publish_pending()
                await self.cosign_latest()
            except Exception:
                log.exception("publication failed; it will be retried at the next period")
                try:
                    await self.recover()
                except Exception:
                    log.exception("recovery failed; it will be retried at the next period")
