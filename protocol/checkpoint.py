"""Log checkpoints (C2SP tlog-checkpoint) signed as notes, and witness cosignatures.

A checkpoint body is the origin line, the tree size in decimal, the base64 root hash, and
optional extension lines, each ending in a newline (spec LOG-8). The log signs it with an
Ed25519 note key named after the origin; witnesses add cosignature/v1 lines (spec LOG-9).
A client accepts a checkpoint only with the log's signature and a quorum of known witnesses
(spec LOG-10), and accepts a newer one only with a valid consistency proof (spec LOG-11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bluezone.protocol.errors import (
    CheckpointMalformedError,
    CheckpointOriginError,
    CheckpointUnsignedError,
    CosignatureTimestampError,
    NoteKeyError,
    WitnessQuorumError,
)
from bluezone.protocol.merkle import verify_consistency
from bluezone.protocol.note import (
    NoteSigner,
    NoteVerifier,
    SignedNote,
    decode_base64,
    encode_base64,
    open_note,
)
from bluezone.protocol.params import (
    CHECKPOINT_MIN_LINES,
    MAX_TREE_SIZE,
    MERKLE_HASH_LENGTH,
    SIGNATURE_TYPE_COSIGNATURE_V1,
    SIGNATURE_TYPE_ED25519,
)

_DIGITS = frozenset("0123456789")


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or line == "":
        raise CheckpointMalformedError(f"LOG-8: {what} must be a non-empty line")
    if any(ord(ch) < 0x20 for ch in line):
        raise CheckpointMalformedError(f"LOG-8: {what} holds a newline or control character")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: origin, tree size, 32-byte root hash, extension lines (spec LOG-8)."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if (
            not isinstance(self.tree_size, int)
            or isinstance(self.tree_size, bool)
            or not 0 <= self.tree_size <= MAX_TREE_SIZE
        ):
            raise CheckpointMalformedError("LOG-8: tree size must be in 0..2**64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != MERKLE_HASH_LENGTH:
            raise CheckpointMalformedError("LOG-8: root hash must be 32 bytes")
        for line in self.extensions:
            _check_line(line, "extension line")

    def text(self) -> str:
        """Return the checkpoint body, the note text that is signed (spec LOG-8)."""
        lines = [self.origin, str(self.tree_size), encode_base64(self.root_hash)]
        return "".join(line + "\n" for line in (*lines, *self.extensions))

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (spec LOG-8)."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise CheckpointMalformedError("LOG-8: checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < CHECKPOINT_MIN_LINES:
            raise CheckpointMalformedError("LOG-8: checkpoint needs origin, size and root")
        origin, size_text, root_text, *extensions = lines
        if (
            not size_text
            or not set(size_text) <= _DIGITS
            or (size_text[0] == "0" and size_text != "0")
            or len(size_text) > 20
        ):
            raise CheckpointMalformedError("LOG-8: tree size must be decimal, no leading zero")
        try:
            root_hash = decode_base64(root_text)
        except ValueError as exc:
            raise CheckpointMalformedError("LOG-8: root hash is not canonical base64") from exc
        return cls(origin, int(size_text), root_hash, tuple(extensions))


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified witness cosignature: the witness's key name and its timestamp (seconds)."""

    witness: str
    timestamp_s: int


@dataclass(frozen=True, slots=True)
class VerifiedCheckpoint:
    """A checkpoint carrying the log's verified signature and these witness cosignatures."""

    checkpoint: Checkpoint
    cosignatures: tuple[Cosignature, ...]


def sign_checkpoint(checkpoint: Checkpoint, log_signer: NoteSigner) -> bytes:
    """Return the checkpoint as a note signed by the log's Ed25519 key (spec LOG-8, LOG-10).

    The key name must equal the origin.
    """
    if log_signer.signature_type != SIGNATURE_TYPE_ED25519:
        raise NoteKeyError("LOG-10: a log signs with an Ed25519 (type 0x01) key")
    if log_signer.name != checkpoint.origin:
        raise CheckpointOriginError("LOG-8: the log's key name must equal the origin")
    text = checkpoint.text()
    return bytes(SignedNote(text, (log_signer.sign(text),)))


def cosign_checkpoint(note: bytes, witness: NoteSigner, timestamp_s: int) -> bytes:
    """Return the signed checkpoint with the witness's cosignature/v1 line added (LOG-9).

    This only signs; a witness checks the log signature and consistency before calling it.
    """
    if witness.signature_type != SIGNATURE_TYPE_COSIGNATURE_V1:
        raise NoteKeyError("LOG-9: a witness cosigns with a type 0x04 key")
    parsed = SignedNote.from_bytes(note)
    Checkpoint.from_text(parsed.text)
    return bytes(parsed.with_signature(witness.sign(parsed.text, timestamp_s)))


def verify_checkpoint(
    note: bytes,
    log: NoteVerifier,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
    now_s: int | None = None,
) -> VerifiedCheckpoint:
    """Verify a signed checkpoint against the log's key and a witness quorum (spec LOG-10).

    The log's Ed25519 signature must verify and its key name must equal the origin; at
    least ``quorum`` distinct witnesses (type 0x04 keys) must have cosigned; with ``now_s``
    given, a cosignature timestamped after it is rejected. Raises a NoteError subclass.
    """
    if log.signature_type != SIGNATURE_TYPE_ED25519:
        raise NoteKeyError("LOG-10: the log key must be an Ed25519 (type 0x01) key")
    if any(w.signature_type != SIGNATURE_TYPE_COSIGNATURE_V1 for w in witnesses):
        raise NoteKeyError("LOG-10: witness keys must be cosignature/v1 (type 0x04) keys")
    opened = open_note(note, [log, *witnesses])
    if not any(v.verifier == log for v in opened.verified):
        raise CheckpointUnsignedError("LOG-10: no valid signature from the log's key")
    checkpoint = Checkpoint.from_text(opened.text)
    if checkpoint.origin != log.name:
        raise CheckpointOriginError("LOG-8: checkpoint origin differs from the log's key name")
    cosignatures = []
    witness_keys = set()
    for v in opened.verified:
        if v.verifier == log or v.timestamp_s is None:
            continue
        if now_s is not None and v.timestamp_s > now_s:
            raise CosignatureTimestampError("LOG-9: cosignature timestamp is in the future")
        cosignatures.append(Cosignature(v.verifier.name, v.timestamp_s))
        witness_keys.add((v.verifier.name, v.verifier.key_id))
    if len(witness_keys) < quorum:
        raise WitnessQuorumError(
            f"LOG-10: {len(cosignatures)} witness cosignatures, {quorum} required"
        )
    return VerifiedCheckpoint(checkpoint, tuple(cosignatures))


def verify_checkpoint_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that ``new`` extends ``old`` of the same log (spec LOG-11).

    Raises CheckpointOriginError for different origins and a MerkleError subclass when the
    consistency proof fails (a rewritten history or a split view).
    """
    if old.origin != new.origin:
        raise CheckpointOriginError("LOG-11: checkpoints of different logs")
    verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
