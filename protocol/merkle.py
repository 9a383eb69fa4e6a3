"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs (spec LOG-1, LOG-3, LOG-4).

Hashes are 32-byte SHA-256 values. ``MerkleTree`` keeps every complete subtree hash, level by
level, so appending a leaf costs O(1) amortised hashes and a proof for any size up to the
current one costs O(log n) lookups and at most O(log n) hashes. Verification follows the
algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 and reports every malformed input with
its own error class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

from bluezone.protocol.errors import (
    MerkleHashLengthError,
    MerkleIndexError,
    MerkleProofLengthError,
    MerkleRootMismatchError,
    MerkleSizeOrderError,
    MerkleTreeSizeError,
)
from bluezone.protocol.params import (
    MAX_TREE_SIZE,
    MERKLE_HASH_LENGTH,
    MERKLE_LEAF_PREFIX,
    MERKLE_NODE_PREFIX,
)

# spec LOG-1: the hash of the empty tree is SHA-256 of the empty string.
EMPTY_ROOT: bytes = sha256(b"").digest()

# Hashes of incomplete (right-edge) subtrees never change once their leaves exist, so they
# can be cached for good; the cache is emptied when it reaches this many entries.
_EDGE_CACHE_LIMIT = 1 << 16


def leaf_hash(leaf_data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 || leaf_data) (spec LOG-1)."""
    return sha256(MERKLE_LEAF_PREFIX + leaf_data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 || left || right) (spec LOG-1)."""
    _check_hash(left, "left")
    _check_hash(right, "right")
    return sha256(MERKLE_NODE_PREFIX + left + right).digest()


def _check_hash(value: object, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != MERKLE_HASH_LENGTH:
        length = len(value) if isinstance(value, bytes | bytearray) else "non-bytes"
        raise MerkleHashLengthError(f"LOG-1: {what} hash must be 32 bytes, got {length}")


def _check_size(size: object, what: str) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise MerkleTreeSizeError(f"LOG-1: {what} must be an integer in 0..2**64-1")
    return size


def _check_index(index: int, size: int) -> None:
    """Raise MerkleIndexError unless ``index`` is an int leaf index below ``size`` (spec LOG-3)."""
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
        raise MerkleIndexError("LOG-3: leaf index must be below the tree size")


def _check_proof(proof: Sequence[bytes]) -> tuple[bytes, ...]:
    hashes = tuple(proof)
    for i, value in enumerate(hashes):
        _check_hash(value, f"proof[{i}]")
    return hashes


def _largest_power_below(n: int) -> int:
    """Return the largest power of two strictly below n (n >= 2), RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof_length(index: int, size: int) -> int:
    """Return how many hashes an inclusion proof for leaf ``index`` in ``size`` leaves holds."""
    _check_size(size, "tree size")
    _check_index(index, size)
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(first: int, second: int) -> int:
    """Return how many hashes a consistency proof from ``first`` to ``second`` leaves holds."""
    _check_size(first, "first tree size")
    _check_size(second, "second tree size")
    if first > second:
        raise MerkleSizeOrderError("LOG-4: first tree size is larger than the second")
    if first in (0, second):
        return 0
    count, start, size, complete = 0, 0, second, True
    while first - start != size:
        k = _largest_power_below(size)
        if first - start <= k:
            size = k
        else:
            start, size, complete = start + k, size - k, False
        count += 1
    return count + (0 if complete else 1)


class MerkleTree:
    """An append-only RFC 9162 Merkle tree over leaf hashes, answering proofs for any size.

    ``levels[h][i]`` is the hash of the complete subtree of 2**h leaves starting at leaf
    i * 2**h. Proofs and roots for an earlier size use only subtrees inside that size, so one
    tree serves every checkpoint the log ever signed (spec LOG-3, LOG-4, LOG-5).
    """

    __slots__ = ("_edge_cache", "_levels")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self._edge_cache: dict[tuple[int, int], bytes] = {}
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """The number of leaves in the tree."""
        return len(self._levels[0])

    def append(self, leaf_hash_value: bytes) -> int:
        """Append a 32-byte leaf hash and return its leaf index (spec LOG-5)."""
        _check_hash(leaf_hash_value, "leaf")
        if self.size >= MAX_TREE_SIZE:
            raise MerkleTreeSizeError("LOG-1: the tree is full")
        levels = self._levels
        levels[0].append(leaf_hash_value)
        index = len(levels[0]) - 1
        node, height = leaf_hash_value, 0
        while index & 1:
            node = sha256(MERKLE_NODE_PREFIX + levels[height][index - 1] + node).digest()
            height += 1
            index >>= 1
            if height == len(levels):
                levels.append([])
            levels[height].append(node)
        return len(levels[0]) - 1

    def append_leaf(self, leaf_data: bytes) -> int:
        """Hash leaf data as an RFC 9162 leaf, append it and return its leaf index."""
        return self.append(leaf_hash(leaf_data))

    def leaf_hash_at(self, index: int) -> bytes:
        """Return the leaf hash at ``index``."""
        _check_index(index, self.size)
        return self._levels[0][index]

    def _size_or_current(self, size: int | None) -> int:
        if size is None:
            return self.size
        _check_size(size, "tree size")
        if size > self.size:
            raise MerkleTreeSizeError("LOG-1: requested size is larger than the tree")
        return size

    def _range_hash(self, start: int, count: int) -> bytes:
        """Return MTH of leaves [start, start + count) for a range RFC 9162's recursion makes."""
        if count & (count - 1) == 0:
            height = count.bit_length() - 1
            return self._levels[height][start >> height]
        key = (start, count)
        cached = self._edge_cache.get(key)
        if cached is not None:
            return cached
        parts = []
        position = start
        for height in range(count.bit_length() - 1, -1, -1):
            if count >> height & 1:
                parts.append(self._levels[height][position >> height])
                position += 1 << height
        result = parts.pop()
        while parts:
            result = sha256(MERKLE_NODE_PREFIX + parts.pop() + result).digest()
        if len(self._edge_cache) >= _EDGE_CACHE_LIMIT:
            self._edge_cache.clear()
        self._edge_cache[key] = result
        return result

    def root(self, size: int | None = None) -> bytes:
        """Return the tree hash MTH of the first ``size`` leaves (default: all) (spec LOG-1)."""
        size = self._size_or_current(size)
        return EMPTY_ROOT if size == 0 else self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> tuple[bytes, ...]:
        """Return RFC 9162 PATH(index, D[size]), leaf side first (spec LOG-3)."""
        size = self._size_or_current(size)
        _check_index(index, size)
        proof = []
        start, count = 0, size
        while count > 1:
            k = 1 << ((count - 1).bit_length() - 1)
            if index - start < k:
                proof.append(self._range_hash(start + k, count - k))
                count = k
            else:
                proof.append(self._range_hash(start, k))
                start += k
                count -= k
        proof.reverse()
        return tuple(proof)

    def consistency_proof(self, first: int, second: int | None = None) -> tuple[bytes, ...]:
        """Return RFC 9162 PROOF(first, D[second]), empty when first is 0 or equal (LOG-4)."""
        second = self._size_or_current(second)
        _check_size(first, "first tree size")
        if first > second:
            raise MerkleSizeOrderError("LOG-4: first tree size is larger than the second")
        if first in (0, second):
            return ()
        proof = []
        start, count, complete = 0, second, True
        while first - start != count:
            k = 1 << ((count - 1).bit_length() - 1)
            if first - start <= k:
                proof.append(self._range_hash(start + k, count - k))
                count = k
            else:
                proof.append(self._range_hash(start, k))
                start += k
                count -= k
                complete = False
        if not complete:
            proof.append(self._range_hash(start, count))
        proof.reverse()
        return tuple(proof)


def root_from_inclusion_proof(
    leaf_hash_value: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root an inclusion proof leads to (RFC 9162 section 2.1.3.2, spec LOG-3).

    Raises MerkleTreeSizeError, MerkleIndexError, MerkleHashLengthError or
    MerkleProofLengthError for malformed input; it never compares against a root.
    """
    _check_size(size, "tree size")
    _check_index(index, size)
    _check_hash(leaf_hash_value, "leaf")
    hashes = _check_proof(proof)
    expected = inclusion_proof_length(index, size)
    if len(hashes) != expected:
        raise MerkleProofLengthError(
            f"LOG-3: inclusion proof must hold {expected} hashes, got {len(hashes)}"
        )
    # The length check above makes the walk end exactly at the root (RFC 9162 2.1.3.2).
    fn, sn, r = index, size - 1, leaf_hash_value
    for p in hashes:
        if fn & 1 or fn == sn:
            r = sha256(MERKLE_NODE_PREFIX + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(MERKLE_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    return r


def verify_inclusion(
    leaf_hash_value: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf ``index`` of a ``size``-leaf tree with ``root`` has this leaf hash.

    Returns None on success; raises MerkleRootMismatchError when the proof leads elsewhere,
    and the errors of ``root_from_inclusion_proof`` for malformed input (spec LOG-3).
    """
    _check_size(size, "tree size")
    _check_index(index, size)
    _check_hash(leaf_hash_value, "leaf")
    _check_hash(root, "root")
    if root_from_inclusion_proof(leaf_hash_value, index, size, proof) != root:
        raise MerkleRootMismatchError("LOG-3: inclusion proof does not lead to the root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``second`` leaves extends the tree of ``first`` (spec LOG-4).

    Sizes 0 < first < second use RFC 9162 section 2.1.4.2. When first == second the proof
    is empty and the roots are equal; when first == 0 the proof is empty and first_root is
    the empty-tree hash. Raises a MerkleError subclass on any failure.
    """
    _check_size(first, "first tree size")
    _check_size(second, "second tree size")
    if first > second:
        raise MerkleSizeOrderError("LOG-4: first tree size is larger than the second")
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    hashes = _check_proof(proof)
    expected = consistency_proof_length(first, second)
    if len(hashes) != expected:
        raise MerkleProofLengthError(
            f"LOG-4: consistency proof must hold {expected} hashes, got {len(hashes)}"
        )
    if first == 0:
        if first_root != EMPTY_ROOT or (second == 0 and second_root != EMPTY_ROOT):
            raise MerkleRootMismatchError("LOG-4: an empty tree's root is SHA-256 of nothing")
        return
    if first == second:
        if first_root != second_root:
            raise MerkleRootMismatchError("LOG-4: equal sizes with different roots")
        return
    if first & (first - 1) == 0:
        hashes = (first_root, *hashes)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = hashes[0]
    # The length check above makes the walk end exactly at the root (RFC 9162 2.1.4.2).
    for c in hashes[1:]:
        if fn & 1 or fn == sn:
            fr = sha256(MERKLE_NODE_PREFIX + c + fr).digest()
            sr = sha256(MERKLE_NODE_PREFIX + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha256(MERKLE_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if fr != first_root or sr != second_root:
        raise MerkleRootMismatchError("LOG-4: consistency proof does not match the roots")
