"""Published keys from a key server, each batch verified through the transparency log.

`ServerKeySource` is the node's `KeySource` for a key server (spec SRV-17, LOG-10, LOG-11).
Each fetch:

1. reads the checkpoint this node accepted last from the log (kept in the node's store,
   with the log key it was verified with);
2. fetches ``v1/checkpoint`` and accepts it only if the log's key signed it (and a witness
   quorum, when configured) and it extends the last one: the same root at the same size,
   else a consistency proof (a log that shrank or rewrote a batch is refused with
   LogRefusedError, and nothing of the download is used);
3. downloads every batch from the first one not seen (the oldest the index lists on the
   first download) up to the checkpoint's size, verifies each export file's signature,
   computes its leaf and checks its inclusion proof in the accepted checkpoint;
4. stores the checkpoint with the verified batches in one transaction.

It returns every verified batch still recent enough to match (14 days), the new ones and
those downloaded before, so each exposure check sees all published keys, as with the
directory source. A batch that fails verification is refused (its error code in
``Fetched.rejected``), never used, and downloaded again next time.

Trust: the log's verifier key and the export key come from the operator (the server's
``v1/keys`` document, handed over through a trusted channel: spec SRV-11 forbids taking
them from the server being checked). The node pins the log key with the first checkpoint
it accepts: a later fetch with another log key for the same log is refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.export import ExportFile
from bluezone.protocol.keys import interval_number
from bluezone.reference_node.client.client import NOT_COSIGNED, KeyServerClient, TrustConfig
from bluezone.reference_node.errors import KeySourceError, LogRefusedError
from bluezone.reference_node.node.key_source import (
    Fetched,
    PublishedBatch,
    RejectedBatch,
    export_keys,
)
from bluezone.reference_node.node.log import LOGGER_NAME
from bluezone.reference_node.server.errors import (
    ClientError,
    LogVerificationError,
    ServerResponseError,
)
from bluezone.reference_node.server.keyfiles import ServerKeys
from bluezone.reference_node.store import AsyncStore, CachedBatch, ServerLogState

log = logging.getLogger(LOGGER_NAME)

ClientFactory = Callable[[str], KeyServerClient]


def batch_id(origin: str, number: int) -> str:
    """The id under which the node records batch ``number`` of the log ``origin``."""
    return f"{origin}#{number}"


def trust_from_keys_file(data: bytes, quorum: int = 0) -> TrustConfig:
    """The trust configuration in a server's ``v1/keys`` document (spec SRV-11, LOG-10).

    Raises KeySourceError if the document is malformed.
    """
    try:
        keys = ServerKeys.from_json(data)
    except ClientError as exc:
        raise KeySourceError(f"the server keys file is not a v1/keys document: {exc}") from exc
    if not 0 <= quorum <= len(keys.witnesses):
        raise KeySourceError(f"a quorum of {quorum} needs that many witness keys")
    return TrustConfig.from_server_keys(keys, quorum)


class ServerKeySource:
    """The batches of one key server, verified as LOG-11 says (see the module docstring).

    ``clock`` gives unix seconds (for cosignature timestamps and retention);
    ``client_factory(url)`` makes the HTTP client (an async context manager).
    """

    def __init__(
        self,
        server_url: str,
        trust: TrustConfig,
        store: AsyncStore,
        *,
        clock: Callable[[], float] = time.time,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.server_url = server_url
        self.trust = trust
        self.store = store
        self.clock = clock
        self._client_factory = client_factory or (
            lambda url: KeyServerClient(url, clock=self.clock)
        )

    @property
    def origin(self) -> str:
        """The log's origin (its key's name, LOG-8)."""
        return self.trust.log.name

    async def fetch(self) -> Fetched:
        """Download and verify the new batches; return every verified batch still kept.

        Raises LogRefusedError when the log fails verification, KeySourceError when the
        server cannot be reached or answers nonsense.
        """
        now_s = self.clock()
        state = await self.store.server_log(self.origin)
        if state is not None and state.log_key != self.trust.log.vkey:
            raise KeySourceError(
                "LOG-10: the log key differs from the one this node verified the log with"
            )
        try:
            async with self._client_factory(self.server_url) as client:
                rejected = await self._download(client, state, now_s)
        except LogVerificationError as exc:
            log.error(
                "the key server's log failed verification (%s): %s",
                exc.kind,
                exc,
                extra={"event": "log_refused", "fields": {"kind": exc.kind}},
            )
            raise LogRefusedError(f"{exc} ({exc.kind})", exc.kind) from exc
        except ClientError as exc:
            raise KeySourceError(f"cannot download from the key server: {exc}") from exc
        except TimeoutError as exc:  # aiohttp's total timeout is not a ClientError
            raise KeySourceError("cannot download from the key server: timed out") from exc
        first_kept = max(0, interval_number(now_s) - params.RETENTION_INTERVALS)
        cached = await self.store.server_batches(self.origin, first_kept * params.INTERVAL_SECONDS)
        batches: list[PublishedBatch] = []
        for batch in cached:
            outcome = await asyncio.to_thread(self._published, batch)
            (batches if isinstance(outcome, PublishedBatch) else rejected).append(outcome)
        return Fetched(tuple(batches), tuple(rejected))

    async def _download(
        self, client: KeyServerClient, state: ServerLogState | None, now_s: float
    ) -> list[RejectedBatch]:
        """Accept the latest checkpoint, verify and store the new batches (SRV-17)."""
        try:
            note = await client.latest_checkpoint()
        except ServerResponseError as exc:
            if exc.status != 404:
                raise
            if state is None:
                return []  # spec SRV-11: no checkpoint before the first batch
            raise LogVerificationError(
                "SRV-11: the log no longer serves a checkpoint", "rewritten_history"
            ) from exc
        previous = state.checkpoint if state is not None else None
        try:
            checkpoint = await client.accept_checkpoint(self.trust, note, previous)
        except LogVerificationError as exc:
            if exc.kind != NOT_COSIGNED:
                raise
            # spec WIT-5: the witnesses have not cosigned it yet; keep what was accepted.
            log.warning(
                "key server: the latest checkpoint is not yet cosigned; keeping the last one",
                extra={"event": "log_not_cosigned", "fields": {"kind": exc.kind}},
            )
            return []
        if state is not None:
            first = state.next_batch
        else:
            index = await client.index()
            first = index.batches[0].number if index.batches else checkpoint.tree_size
        verified: list[CachedBatch] = []
        rejected: list[RejectedBatch] = []
        for number in range(first, checkpoint.tree_size):
            try:
                batch = await client.verified_batch(self.trust, checkpoint, number)
            except LogVerificationError as exc:
                rejected.append(RejectedBatch(batch_id(self.origin, number), exc.kind))
                continue
            except ServerResponseError as exc:
                rejected.append(RejectedBatch(batch_id(self.origin, number), exc.error))
                continue
            archive = await asyncio.to_thread(batch.export.to_zip)
            end_s = batch.export.payload.end_timestamp
            verified.append(CachedBatch(self.origin, number, batch.leaf_hash, end_s, archive))
        failed = [int(r.batch_id.rsplit("#", 1)[1]) for r in rejected]
        new_state = ServerLogState(
            self.origin,
            self.trust.log.vkey,
            note,
            checkpoint.tree_size,
            min(failed, default=checkpoint.tree_size),
            now_s,
        )
        await self.store.save_server_log(new_state, verified)
        log.info(
            "key server: checkpoint of %d batches accepted, %d new batches verified, %d refused",
            checkpoint.tree_size,
            len(verified),
            len(rejected),
            extra={
                "event": "log_checkpoint",
                "fields": {
                    "tree_size": checkpoint.tree_size,
                    "verified": len(verified),
                    "refused": len(rejected),
                },
            },
        )
        return rejected

    def _published(self, batch: CachedBatch) -> PublishedBatch | RejectedBatch:
        """A stored batch as the exposure check takes it (its signature checked again)."""
        name = batch_id(batch.origin, batch.number)
        try:
            export = ExportFile.from_zip(batch.archive)
            export.verify(self.trust.export)
            keys = export_keys(export.payload.keys)
            revised = export_keys(export.payload.revised_keys)
        except ProtocolError as exc:
            return RejectedBatch(name, exc.code)
        return PublishedBatch(name, batch.leaf_hash, keys, revised)
