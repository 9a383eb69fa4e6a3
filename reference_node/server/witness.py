"""Witness cosignatures: a witness checks that the log only grew, then cosigns (LOG-13).

``Witness`` keeps, per origin, the last checkpoint it cosigned in a state file; it cosigns
a new checkpoint only after the log's signature and a consistency proof from that one
verify, so it never cosigns two inconsistent checkpoints of one log. A client that requires
a quorum of witnesses (LOG-10) then cannot be shown a fork the witnesses did not see.
``merge_cosignatures`` is the server's side: it keeps the witnesses' verified lines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from protocol.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from protocol.note import NoteSigner, NoteVerifier, SignedNote, decode_base64, encode_base64
from reference_node.server.errors import InvalidRequestError, LogVerificationError


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


class Witness:
    """A witness with an Ed25519 cosigning key and a state file of what it cosigned."""

    def __init__(self, signer: NoteSigner, state_path: str | os.PathLike[str]) -> None:
        """``signer`` is a cosignature/v1 (type 0x04) key."""
        self.signer = signer
        self.state_path = Path(state_path)

    def _state(self) -> dict[str, dict[str, object]]:
        try:
            return json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {}

    def last_size(self, origin: str) -> int:
        """Return the tree size last cosigned for ``origin`` (0 if none)."""
        entry = self._state().get(origin)
        return 0 if entry is None else int(entry["size"])

    def cosign(self, note: bytes, log: NoteVerifier, proof: Sequence[bytes], now_s: int) -> bytes:
        """Check ``note`` against the last cosigned checkpoint and cosign it (LOG-13).

        ``proof`` is the consistency proof from the last cosigned size to the note's size.
        Raises LogVerificationError("split_view") when it does not verify, and a
        ProtocolError when the note does not.
        """
        checkpoint = verify_checkpoint(note, log).checkpoint
        state = self._state()
        entry = state.get(checkpoint.origin)
        if entry is not None:
            old = Checkpoint(
                checkpoint.origin, int(entry["size"]), decode_base64(str(entry["root"]))
            )
            if checkpoint.tree_size < old.tree_size:
                raise LogVerificationError(
                    "LOG-13: the log shows a smaller tree than one already cosigned",
                    "rewritten_history",
                )
            try:
                verify_checkpoint_consistency(old, checkpoint, proof)
            except Exception as exc:
                raise LogVerificationError(
                    "LOG-13: the checkpoint is inconsistent with one already cosigned",
                    "split_view",
                ) from exc
        cosigned = cosign_checkpoint(note, self.signer, now_s)
        state[checkpoint.origin] = {
            "size": checkpoint.tree_size,
            "root": encode_base64(checkpoint.root_hash),
        }
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        temporary.write_text(json.dumps(state, indent=1))
        os.replace(temporary, self.state_path)
        return cosigned
