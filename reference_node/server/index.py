"""The CBOR batch index: which recent batches exist and what they hold (spec SRV-12).

The index is a hint, not evidence: it is not signed, and a client trusts a batch only after
checking its export signature and its inclusion in a signed checkpoint (LOG-11). Parsing is
strict, since the bytes come from the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import cbor2

from bluezone.reference_node.server.errors import BadServerDataError

# spec SRV-12: an index larger than this is refused unread (it lists about 20,000 batches).
MAX_INDEX_BYTES = 2 * 1024 * 1024
_ENTRY_FIELDS = frozenset({"number", "export_bin_sha256", "start_s", "end_s", "keys", "size"})
_INDEX_FIELDS = frozenset({"origin", "tree_size", "batches"})
_UINT64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One batch in the index: number, SHA-256 of export.bin, time window, key count, size."""

    number: int
    export_bin_sha256: bytes
    start_s: int
    end_s: int
    keys: int
    size: int


@dataclass(frozen=True, slots=True)
class BatchIndex:
    """The index: the log's origin, the tree size it was written at, recent batches."""

    origin: str
    tree_size: int
    batches: tuple[IndexEntry, ...]

    def __bytes__(self) -> bytes:
        """Encode as canonical CBOR (spec SRV-12)."""
        return cbor2.dumps(
            {
                "origin": self.origin,
                "tree_size": self.tree_size,
                "batches": [
                    {
                        "number": e.number,
                        "export_bin_sha256": e.export_bin_sha256,
                        "start_s": e.start_s,
                        "end_s": e.end_s,
                        "keys": e.keys,
                        "size": e.size,
                    }
                    for e in self.batches
                ],
            },
            canonical=True,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BatchIndex:
        """Parse an index strictly; raise BadServerDataError (spec SRV-12)."""
        if len(data) > MAX_INDEX_BYTES:
            raise BadServerDataError("SRV-12: the index is over its size limit")
        try:
            value = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
            raise BadServerDataError("SRV-12: the index is not CBOR") from exc
        if not isinstance(value, dict) or set(value) != _INDEX_FIELDS:
            raise BadServerDataError("SRV-12: the index must map origin, tree_size, batches")
        origin, tree_size, batches = value["origin"], value["tree_size"], value["batches"]
        if not isinstance(origin, str) or not _is_uint(tree_size) or not isinstance(batches, list):
            raise BadServerDataError("SRV-12: index fields have the wrong types")
        entries = tuple(_entry(item) for item in batches)
        numbers = [e.number for e in entries]
        if numbers != sorted(set(numbers)) or any(n >= tree_size for n in numbers):
            raise BadServerDataError("SRV-12: index batches must ascend below the tree size")
        return cls(origin, tree_size, entries)


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _UINT64


def _entry(item: object) -> IndexEntry:
    if not isinstance(item, dict) or set(item) != _ENTRY_FIELDS:
        raise BadServerDataError("SRV-12: an index entry has missing or unknown fields")
    digest = item["export_bin_sha256"]
    numbers = [item[name] for name in ("number", "start_s", "end_s", "keys", "size")]
    if not isinstance(digest, bytes) or len(digest) != 32 or not all(map(_is_uint, numbers)):
        raise BadServerDataError("SRV-12: an index entry has fields of the wrong type")
    return IndexEntry(numbers[0], digest, numbers[1], numbers[2], numbers[3], numbers[4])
