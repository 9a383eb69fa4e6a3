"""Witness cosignatures: a witness checks that the log only grew, then cosigns (LOG-13).

``Witness`` keeps, per origin, the last checkpoint it cosigned in a state file; it cosigns
a new checkpoint only after the log's signature and a consistency proof from that one
verify, so it never cosigns two inconsistent checkpoints of one log. A client that requires
a quorum of witnesses (LOG-10) then cannot be shown a fork the witnesses did not see.
``witness_latest`` is one round against a server: fetch, check, cosign, hand back.
``merge_cosignatures`` is the server's side: it keeps the witnesses' verified lines.
``Witness.add_checkpoint`` answers a log's C2SP add-checkpoint request (spec WIT-2), the
push mode that ``bluezone witness serve`` exposes over HTTP.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bluezone.protocol.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.note import (
    NoteSigner,
    NoteVerifier,
    SignedNote,
    decode_base64,
    encode_base64,
)
from bluezone.protocol.witness import AddCheckpoint, check_add_checkpoint
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.errors import (
    InvalidRequestError,
    LogVerificationError,
    ServerResponseError,
    WitnessStateError,
)
from bluezone.reference_node.server.files import write_durably


def merge_cosignatures(
    stored: bytes, submitted: bytes, log: NoteVerifier, witnesses: Sequence[NoteVerifier]
) -> bytes:
    """Return ``stored`` with the verified cosignatures of ``submitted`` added (SRV-16).

    The submitted note must carry the same checkpoint text, the log's valid signature, and
    only valid signatures from the configured witnesses; other lines are dropped.
    """
    verify_checkpoint(submitted, log, witnesses)
    base, offered = SignedNote.from_bytes(stored), SignedNote.from_bytes(submitted)
    if base.text != offered.text:
        raise InvalidRequestError("SRV-16: the cosigned text differs from the checkpoint")
    known = {(w.name, w.key_id) for w in witnesses}
    added = [s for s in offered.signatures if (s.key_name, s.key_id) in known]
    if not added:
        raise InvalidRequestError("SRV-16: no cosignature from a configured witness")
    for signature in added:
        base = base.with_signature(signature)
    return bytes(base)


def _parse_state(data: bytes) -> dict[str, Checkpoint]:
    """Parse ``{origin: {"size": n, "root": base64}}``; raise WitnessStateError."""
    try:
        value = json.loads(data)
        if not isinstance(value, dict):
            raise TypeError("the state is not a JSON object")
        state = {}
        for origin, entry in value.items():
            size, root = entry["size"], entry["root"]
            if not isinstance(root, str) or set(entry) != {"size", "root"}:
                raise TypeError("an entry is not {size, root}")
            state[origin] = Checkpoint(origin, size, decode_base64(root))
    except (ValueError, KeyError, TypeError, ProtocolError) as exc:
        raise WitnessStateError("LOG-13: the witness state file is malformed") from exc
    return state


def _state_json(state: dict[str, Checkpoint]) -> bytes:
    entries = {
        origin: {"size": c.tree_size, "root": encode_base64(c.root_hash)}
        for origin, c in state.items()
    }
    return json.dumps(entries, indent=1).encode()


class Witness:
    """A witness with an Ed25519 cosigning key and a state file of what it cosigned."""

    def __init__(self, signer: NoteSigner, state_path: str | os.PathLike[str]) -> None:
        """``signer`` is a cosignature/v1 (type 0x04) key.

        The state file is read at each call and replaced durably (``write_durably``) after
        each cosignature; a missing file is an empty state, an unreadable or malformed one
        raises WitnessStateError.
        """
        self.signer = signer
        self.state_path = Path(state_path)

    def _state(self) -> dict[str, Checkpoint]:
        try:
            data = self.state_path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise WitnessStateError(
                f"LOG-13: cannot read the witness state file ({exc.strerror})"
            ) from exc
        return _parse_state(data)

    def _save(self, state: dict[str, Checkpoint]) -> None:
        try:
            write_durably(self.state_path, _state_json(state))
        except OSError as exc:
            raise WitnessStateError(
                f"LOG-13: cannot write the witness state file ({exc.strerror})"
            ) from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock beside the state file: check and update are one step.

        C2SP tlog-witness requires it: two requests checked against the same old size
        must not both be cosigned, or the second would roll the state back (spec WIT-2).
        """
        lock_path = self.state_path.with_name(self.state_path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a")  # noqa: SIM115 (held across the yield)
        except OSError as exc:
            raise WitnessStateError(
                f"LOG-13: cannot open the witness lock file ({exc.strerror})"
            ) from exc
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def add_checkpoint(self, body: bytes, logs: Sequence[NoteVerifier], now_s: int) -> bytes:
        """Answer a C2SP add-checkpoint request: return our cosignature line (spec WIT-2).

        ``logs`` are the log keys this witness follows. Raises a WitnessError subclass
        (its ``code`` names the HTTP status of WIT-2) and leaves the state unchanged; on
        success the new checkpoint is stored durably before the line is returned.
        """
        request = AddCheckpoint.from_bytes(body)
        with self._locked():
            state = self._state()
            checkpoint = check_add_checkpoint(request, logs, state)
            text = SignedNote.from_bytes(request.note).text
            line = self.signer.sign(text, now_s).line()
            state[checkpoint.origin] = Checkpoint(
                checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash
            )
            self._save(state)
        return line.encode("utf-8")

    def last_cosigned(self, origin: str) -> Checkpoint | None:
        """Return the checkpoint last cosigned for ``origin`` (None if none)."""
        return self._state().get(origin)

    def last_size(self, origin: str) -> int:
        """Return the tree size last cosigned for ``origin`` (0 if none)."""
        last = self.last_cosigned(origin)
        return 0 if last is None else last.tree_size

    def has_cosigned(self, note: bytes, log: NoteVerifier) -> bool:
        """Return whether ``note`` is the last checkpoint cosigned and carries our line.

        The note's log signature is checked first (a ProtocolError when it fails).
        """
        checkpoint = verify_checkpoint(note, log).checkpoint
        last = self.last_cosigned(checkpoint.origin)
        if last is None or (last.tree_size, last.root_hash) != (
            checkpoint.tree_size,
            checkpoint.root_hash,
        ):
            return False
        try:
            verify_checkpoint(note, log, (self.signer.verifier(),), quorum=1)
        except ProtocolError:
            return False
        return True

    def cosign(self, note: bytes, log: NoteVerifier, proof: Sequence[bytes], now_s: int) -> bytes:
        """Check ``note`` against the last cosigned checkpoint and cosign it (LOG-13).

        ``proof`` is the consistency proof from the last cosigned size to the note's size.
        Raises LogVerificationError ("rewritten_history" when the tree shrank,
        "split_view" when the proof does not verify) and a ProtocolError when the note
        does not; either way the state file is left as it was.
        """
        checkpoint = verify_checkpoint(note, log).checkpoint
        with self._locked():
            return self._cosign(note, checkpoint, proof, now_s)

    def _cosign(
        self, note: bytes, checkpoint: Checkpoint, proof: Sequence[bytes], now_s: int
    ) -> bytes:
        state = self._state()
        old = state.get(checkpoint.origin)
        if old is not None:
            if checkpoint.tree_size < old.tree_size:
                raise LogVerificationError(
                    "LOG-13: the log shows a smaller tree than one already cosigned",
                    "rewritten_history",
                )
            try:
                verify_checkpoint_consistency(old, checkpoint, proof)
            except ProtocolError as exc:
                raise LogVerificationError(
                    "LOG-13: the checkpoint is inconsistent with one already cosigned",
                    "split_view",
                ) from exc
        cosigned = cosign_checkpoint(note, self.signer, now_s)
        state[checkpoint.origin] = Checkpoint(
            checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash
        )
        self._save(state)
        return cosigned


@dataclass(frozen=True, slots=True)
class Witnessed:
    """One round's outcome: the latest checkpoint and whether it was cosigned now."""

    checkpoint: Checkpoint
    cosigned: bool


async def witness_latest(
    client: KeyServerClient,
    witness: Witness,
    log: NoteVerifier,
    clock: Callable[[], float] = time.time,
) -> Witnessed | None:
    """Cosign the server's newest checkpoint if it extends the last one cosigned (LOG-13).

    Returns None when the log has published no checkpoint yet. A checkpoint already
    cosigned and served with this witness's line is left alone (not posted again);
    otherwise the checkpoint goes into the state, then the cosigned note is posted
    (SRV-16), so a post that failed is made again at the next round. Raises
    LogVerificationError when the log fails ("bad_signature", "rewritten_history",
    "split_view"; nothing is cosigned), ClientError on network and server failures, and
    WitnessStateError for the state file.
    """
    try:
        # spec WIT-4: v1/checkpoint waits for the quorum; the newest is at its own path.
        note = await client.newest_checkpoint()
    except ServerResponseError as exc:
        if exc.status == 404:
            return None
        raise
    try:
        checkpoint = verify_checkpoint(note, log).checkpoint
    except ProtocolError as exc:
        raise LogVerificationError(
            f"LOG-10: the checkpoint is not signed by the log ({exc.code})", "bad_signature"
        ) from exc
    if witness.has_cosigned(note, log):
        return Witnessed(checkpoint, cosigned=False)
    old_size = witness.last_size(checkpoint.origin)
    proof: Sequence[bytes] = ()
    if 0 < old_size < checkpoint.tree_size:
        proof = await client.consistency_proof(old_size, checkpoint.tree_size)
    cosigned = witness.cosign(note, log, proof, int(clock()))
    await client.add_cosignatures(checkpoint.tree_size, cosigned)
    return Witnessed(checkpoint, cosigned=True)
