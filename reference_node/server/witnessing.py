"""The log's side of C2SP tlog-witness: ask each witness to cosign a new checkpoint (WIT-3).

At publication the publisher hands the new checkpoint to ``HttpWitnesses.request``, which
posts ``add-checkpoint`` to every configured witness at once, with the size that witness
last cosigned and the consistency proof from there. A 409 answer names the witness's size:
the request is sent once more from that size. Whatever comes back is only a candidate: the
caller keeps the lines that verify under the witness keys it is configured with
(``add_verified_cosignatures``), so a wrong URL or a lying witness adds nothing.
``WitnessPolicy`` says how many distinct witnesses a checkpoint needs before it is served
as ``v1/checkpoint`` (WIT-4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.note import NoteVerifier, SignedNote
from bluezone.protocol.params import MAX_NOTE_BYTES, TLOG_SIZE_CONTENT_TYPE
from bluezone.protocol.witness import AddCheckpoint, parse_cosignature_lines, parse_tree_size

log = logging.getLogger("bluezone.server.witnessing")

# How long the log waits for one witness's answer before publishing without it.
WITNESS_TIMEOUT_S = 10.0
# A witness answers a few signature lines; more is refused unread.
MAX_COSIGNATURE_ANSWER_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    """The witnesses a log accepts cosignatures from and how many it needs (WIT-4)."""

    witnesses: tuple[NoteVerifier, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        distinct = {(w.name, w.key_id) for w in self.witnesses}
        if not 0 <= self.quorum <= len(distinct):
            raise ValueError(
                f"WIT-4: a quorum of {self.quorum} needs at least {self.quorum} witness keys"
            )

    def cosigned_by(self, note: bytes, log_key: NoteVerifier) -> int:
        """Return how many distinct configured witnesses validly cosigned ``note``."""
        try:
            verified = verify_checkpoint(note, log_key, self.witnesses)
        except ProtocolError:
            return 0
        return len({c.witness for c in verified.cosignatures})

    def cosigned_by_all(self, note: bytes, log_key: NoteVerifier) -> bool:
        """Return whether every configured witness validly cosigned ``note``."""
        distinct = {(w.name, w.key_id) for w in self.witnesses}
        return self.cosigned_by(note, log_key) >= len(distinct)

    def meets_quorum(self, note: bytes, log_key: NoteVerifier) -> bool:
        """Return whether ``note`` may be served as the log's checkpoint (WIT-4)."""
        return self.quorum == 0 or self.cosigned_by(note, log_key) >= self.quorum


def add_verified_cosignatures(
    note: bytes, lines: Sequence[str], log_key: NoteVerifier, policy: WitnessPolicy
) -> bytes:
    """Return ``note`` with each line of ``lines`` that verifies as a witness's cosignature.

    Each line is checked on its own, appended to the note and verified under the log key
    and the configured witness keys; lines of unknown keys and lines that fail are dropped.
    """
    merged = SignedNote.from_bytes(note)
    known = {(w.name, w.key_id) for w in policy.witnesses}
    for line in lines:
        try:
            candidate = SignedNote.from_bytes(note + line.encode("utf-8"))
            signature = candidate.signatures[-1]
            if (signature.key_name, signature.key_id) not in known:
                continue
            verify_checkpoint(bytes(candidate), log_key, policy.witnesses)
        except ProtocolError:
            log.warning("a witness answered a cosignature that does not verify; dropped")
            continue
        merged = merged.with_signature(signature)
    return bytes(merged)


class Cosigners(Protocol):
    """Anything that asks witnesses to cosign a checkpoint (tests pass their own)."""

    async def request(
        self, note: bytes, tree_size: int, proof: Callable[[int], Sequence[bytes]]
    ) -> list[str]:
        """Return the cosignature lines the witnesses answered (unverified)."""
        ...


class HttpWitnesses:
    """C2SP add-checkpoint over HTTP to each witness URL (its submission prefix)."""

    def __init__(self, urls: Sequence[str], timeout_s: float = WITNESS_TIMEOUT_S) -> None:
        """Ask the witnesses at ``urls``; each gets ``timeout_s`` seconds per request."""
        self.urls = tuple(u.rstrip("/") for u in urls)
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        # The size each witness last told us it cosigned; 0 until it answers (WIT-3).
        self.known_sizes = dict.fromkeys(self.urls, 0)

    async def request(
        self, note: bytes, tree_size: int, proof: Callable[[int], Sequence[bytes]]
    ) -> list[str]:
        """Post add-checkpoint to every witness at once; return the lines answered."""
        if not self.urls:
            return []
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            answers = await asyncio.gather(
                *(self._ask(session, url, note, tree_size, proof) for url in self.urls)
            )
        return [line for lines in answers for line in lines]

    async def _ask(
        self,
        session: aiohttp.ClientSession,
        url: str,
        note: bytes,
        tree_size: int,
        proof: Callable[[int], Sequence[bytes]],
    ) -> list[str]:
        status = 0
        for _ in range(2):
            old = self.known_sizes[url]
            if old > tree_size:
                log.error("witness %s cosigned a larger tree (%d > %d)", url, old, tree_size)
                return []
            body = bytes(AddCheckpoint(old, tuple(proof(old)), note))
            try:
                status, content_type, data = await self._post(session, url, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("witness %s unreachable (%s)", url, type(exc).__name__)
                return []
            if status == 200:
                self.known_sizes[url] = tree_size
                try:
                    return list(parse_cosignature_lines(data))
                except ProtocolError:
                    log.warning("witness %s answered a malformed cosignature", url)
                    return []
            if status == 409 and content_type == TLOG_SIZE_CONTENT_TYPE:
                try:
                    self.known_sizes[url] = parse_tree_size(data.decode("ascii").rstrip("\n"))
                except (UnicodeDecodeError, ProtocolError):
                    log.warning("witness %s answered 409 without a size", url)
                    return []
                continue
            break
        # A 409 again from the size the witness named: another root at that size (a fork).
        log.warning("witness %s refused the checkpoint (HTTP %d)", url, status)
        return []

    async def _post(
        self, session: aiohttp.ClientSession, url: str, body: bytes
    ) -> tuple[int, str, bytes]:
        async with session.post(f"{url}/add-checkpoint", data=body) as response:
            data = await response.content.read(MAX_COSIGNATURE_ANSWER_BYTES + 1)
            if len(data) > MAX_COSIGNATURE_ANSWER_BYTES or len(data) > MAX_NOTE_BYTES:
                return 0, "", b""
            return response.status, response.content_type, data
