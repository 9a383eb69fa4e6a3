"""The transparency log's leaf: one published batch, canonically encoded (spec LOG-2).

A leaf is three length-prefixed fields, each a 2-byte big-endian length then the bytes:
the label "bluezone-batch-leaf/v1", the batch number as 8 bytes big-endian, and SHA-256 of
the batch's export.bin. Length prefixes make the encoding unambiguous: no two different
(label, number, digest) triples share a byte string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from bluezone.protocol.errors import BatchLeafError
from bluezone.protocol.merkle import leaf_hash, verify_inclusion
from bluezone.protocol.params import (
    BATCH_LEAF_LABEL,
    BATCH_LEAF_LENGTH_BYTES,
    BATCH_NUMBER_BYTES,
    MAX_TREE_SIZE,
    MERKLE_HASH_LENGTH,
)


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(BATCH_LEAF_LENGTH_BYTES, "big") + value


@dataclass(frozen=True, slots=True)
class BatchLeaf:
    """The log entry for batch ``batch_number`` whose export.bin has this SHA-256 (LOG-2)."""

    batch_number: int
    export_bin_sha256: bytes

    def __post_init__(self) -> None:
        if (
            not isinstance(self.batch_number, int)
            or isinstance(self.batch_number, bool)
            or not 0 <= self.batch_number < MAX_TREE_SIZE
        ):
            raise BatchLeafError("LOG-2: batch number must be in 0..2**64-2")
        if (
            not isinstance(self.export_bin_sha256, bytes)
            or len(self.export_bin_sha256) != MERKLE_HASH_LENGTH
        ):
            raise BatchLeafError("LOG-2: export.bin digest must be 32 bytes")

    @classmethod
    def for_export(cls, batch_number: int, export_bin: bytes) -> BatchLeaf:
        """Return the leaf for a batch from its export.bin bytes (header included)."""
        return cls(batch_number, sha256(export_bin).digest())

    def __bytes__(self) -> bytes:
        """Return the canonical leaf data (spec LOG-2)."""
        return (
            _field(BATCH_LEAF_LABEL)
            + _field(self.batch_number.to_bytes(BATCH_NUMBER_BYTES, "big"))
            + _field(self.export_bin_sha256)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BatchLeaf:
        """Parse leaf data strictly: the exact label, field lengths 8 and 32, nothing after."""
        fields = []
        position = 0
        for _ in range(3):
            header_end = position + BATCH_LEAF_LENGTH_BYTES
            if header_end > len(data):
                raise BatchLeafError("LOG-2: leaf data ends inside a length prefix")
            length = int.from_bytes(data[position:header_end], "big")
            if header_end + length > len(data):
                raise BatchLeafError("LOG-2: a leaf field runs past the end of the data")
            fields.append(bytes(data[header_end : header_end + length]))
            position = header_end + length
        if position != len(data):
            raise BatchLeafError("LOG-2: bytes after the last leaf field")
        label, number, digest = fields
        if label != BATCH_LEAF_LABEL:
            raise BatchLeafError("LOG-2: unknown leaf label")
        if len(number) != BATCH_NUMBER_BYTES:
            raise BatchLeafError(f"LOG-2: batch number field is {len(number)} bytes, not 8")
        return cls(int.from_bytes(number, "big"), digest)

    def leaf_hash(self) -> bytes:
        """Return the RFC 9162 leaf hash of this leaf's data (spec LOG-1)."""
        return leaf_hash(bytes(self))


def verify_batch_inclusion(
    leaf: BatchLeaf, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at index ``leaf.batch_number`` of the tree with ``root``.

    The batch number is the leaf index (spec LOG-2); raises a MerkleError subclass when the
    proof fails (spec LOG-3, LOG-11).
    """
    verify_inclusion(leaf.leaf_hash(), leaf.batch_number, tree_size, proof, root)
