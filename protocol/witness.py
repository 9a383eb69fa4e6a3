"""C2SP tlog-witness: the add-checkpoint request, its checks, and the witness's answers.

A log asks a witness to cosign by sending ``old <size>``, the consistency proof from that
size, a blank line and the signed checkpoint (spec WIT-1). The witness checks, in the order
of spec WIT-2, that it follows the origin, that the log signed it, that the old size is the
size it last cosigned and that the proof leads from that tree to the new one; it then
cosigns. ``check_add_checkpoint`` is that decision, without state or clock: the caller
passes the last checkpoint cosigned and stores the one returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bluezone.protocol.checkpoint import Checkpoint, verify_checkpoint
from bluezone.protocol.errors import (
    MerkleError,
    NoteError,
    ProtocolError,
    WitnessConflictError,
    WitnessLogSignatureError,
    WitnessOldSizeError,
    WitnessProofError,
    WitnessRequestMalformedError,
    WitnessUnknownLogError,
)
from bluezone.protocol.merkle import EMPTY_ROOT, verify_consistency
from bluezone.protocol.note import NoteVerifier, SignedNote, decode_base64, encode_base64
from bluezone.protocol.params import (
    MAX_ADD_CHECKPOINT_BYTES,
    MAX_TREE_SIZE,
    MAX_WITNESS_PROOF_LINES,
    MERKLE_HASH_LENGTH,
    NOTE_SIGNATURE_PREFIX,
)

_DIGITS = frozenset("0123456789")


def parse_tree_size(text: str) -> int:
    """Parse ASCII decimal with no leading zero, in 0..2**64-1 (spec WIT-1)."""
    if (
        not text
        or not set(text) <= _DIGITS
        or (text[0] == "0" and text != "0")
        or len(text) > 20
        or int(text) > MAX_TREE_SIZE
    ):
        raise WitnessRequestMalformedError("WIT-1: a tree size must be decimal, no leading zero")
    return int(text)


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """An add-checkpoint request: the old size, the consistency proof, the signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: bytes

    def __bytes__(self) -> bytes:
        """Serialise the request body (spec WIT-1)."""
        lines = [f"old {self.old_size}", *(encode_base64(h) for h in self.proof)]
        return "".join(line + "\n" for line in lines).encode("ascii") + b"\n" + self.note

    @classmethod
    def from_bytes(cls, data: bytes) -> AddCheckpoint:
        """Parse a request body strictly; raise WitnessRequestMalformedError (spec WIT-1).

        The note after the blank line is only split off here; its syntax and signatures
        are checked by ``check_add_checkpoint``.
        """
        if len(data) > MAX_ADD_CHECKPOINT_BYTES:
            raise WitnessRequestMalformedError("WIT-1: the request is over its size limit")
        head, blank, note = bytes(data).partition(b"\n\n")
        if not blank:
            raise WitnessRequestMalformedError("WIT-1: no blank line before the checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError as exc:
            raise WitnessRequestMalformedError("WIT-1: the header lines are not ASCII") from exc
        first, *hashes = lines
        if not first.startswith("old "):
            raise WitnessRequestMalformedError("WIT-1: the first line must be 'old <size>'")
        old_size = parse_tree_size(first[4:])
        if len(hashes) > MAX_WITNESS_PROOF_LINES:
            raise WitnessRequestMalformedError("WIT-1: more than 63 consistency proof lines")
        proof = []
        for line in hashes:
            try:
                digest = decode_base64(line)
            except ValueError as exc:
                raise WitnessRequestMalformedError("WIT-1: a proof line is not base64") from exc
            if len(digest) != MERKLE_HASH_LENGTH:
                raise WitnessRequestMalformedError("WIT-1: a proof line is not a 32-byte hash")
            proof.append(digest)
        return cls(old_size, tuple(proof), note)


def _origin(note: bytes) -> str:
    try:
        return Checkpoint.from_text(SignedNote.from_bytes(note).text).origin
    except NoteError as exc:
        raise WitnessRequestMalformedError(
            f"WIT-1: the checkpoint is malformed ({exc.code})"
        ) from exc


def check_add_checkpoint(
    request: AddCheckpoint, logs: Sequence[NoteVerifier], cosigned: Mapping[str, Checkpoint]
) -> Checkpoint:
    """Return the checkpoint a witness may cosign, or raise a WitnessError (spec WIT-2).

    ``logs`` are the log keys the witness trusts, ``cosigned`` the checkpoint it last
    cosigned per origin. Checks, in order: a well-formed checkpoint
    (400), a known origin (404), a verified log signature (403), old size not above the
    size (400), old size equal to the last size cosigned (409, with that size), the
    consistency proof from the last tree (422), and at equal sizes equal roots (409).
    """
    origin = _origin(request.note)
    last = cosigned.get(origin)
    candidates = [log for log in logs if log.name == origin]
    if not candidates:
        raise WitnessUnknownLogError("WIT-2: the witness does not follow this origin")
    checkpoint = None
    for log in candidates:
        try:
            checkpoint = verify_checkpoint(request.note, log).checkpoint
            break
        except ProtocolError:
            continue
    if checkpoint is None:
        raise WitnessLogSignatureError("WIT-2: no signature verifies under the log's key")
    if request.old_size > checkpoint.tree_size:
        raise WitnessOldSizeError("WIT-2: the old size is larger than the checkpoint's")
    known = last.tree_size if last is not None else 0
    if request.old_size != known:
        raise WitnessConflictError(f"WIT-2: the witness last cosigned size {known}", known)
    old_root = last.root_hash if last is not None else EMPTY_ROOT
    if request.old_size == checkpoint.tree_size and old_root != checkpoint.root_hash:
        raise WitnessConflictError("WIT-2: another root at the size already cosigned", known)
    try:
        verify_consistency(
            request.old_size, checkpoint.tree_size, old_root, checkpoint.root_hash, request.proof
        )
    except MerkleError as exc:
        raise WitnessProofError(f"WIT-2: the consistency proof fails ({exc.code})") from exc
    return checkpoint


def parse_cosignature_lines(data: bytes) -> tuple[str, ...]:
    """Split a witness's 200 answer into signature lines (spec WIT-3).

    The answer is one or more lines, each starting with the em dash and ending in a
    newline; the caller verifies them by appending them to the note it sent.
    """
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessRequestMalformedError("WIT-3: the answer is not UTF-8") from exc
    if not text.endswith("\n"):
        raise WitnessRequestMalformedError("WIT-3: the answer must end with a newline")
    lines = tuple(line + "\n" for line in text[:-1].split("\n"))
    if any(not line.startswith(NOTE_SIGNATURE_PREFIX) for line in lines):
        raise WitnessRequestMalformedError("WIT-3: every answer line is a signature line")
    return lines
