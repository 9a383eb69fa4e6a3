"""Behaviour of the Merkle ops: proofs of random trees, built from the adapter's own hashes.

The suite computes no hash. RFC 9162 fixes which subtrees an inclusion proof (PATH) and a
consistency proof (PROOF) are made of (LOG-3, LOG-4); the suite asks the adapter's
``tree_hash`` for each of those subtrees of random leaf data, assembles the proof, and
requires ``inclusion_verify`` / ``consistency_verify`` to accept it, and to reject the same
proof with one bit flipped, one hash missing or one hash too many. A batch leaf is laid out
by LOG-2; the adapter must read back what the suite wrote and reject every damaged copy.
"""

from __future__ import annotations

from typing import Any

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, behaviour

Range = tuple[int, int]

# spec LOG-2: the label field and the field lengths of a batch leaf, as hex.
BATCH_LEAF_LABEL = "0016" + b"bluezone-batch-leaf/v1".hex()
NUMBER_FIELD, DIGEST_FIELD = "0008", "0020"
MAX_BATCH_NUMBER = 2**64 - 2


def _split(size: int) -> int:
    """RFC 9162's k: the largest power of two below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def path_ranges(index: int, start: int, end: int) -> list[Range]:
    """The leaf ranges whose tree hashes make PATH(index, D[start:end]), leaf side first."""
    if end - start == 1:
        return []
    k = _split(end - start)
    if index - start < k:
        return [*path_ranges(index, start, start + k), (start + k, end)]
    return [*path_ranges(index, start + k, end), (start, start + k)]


def proof_ranges(first: int, start: int, end: int, complete: bool = True) -> list[Range]:
    """The leaf ranges of RFC 9162 SUBPROOF(first, D[start:end], complete)."""
    if first == end - start:
        return [] if complete else [(start, end)]
    k = _split(end - start)
    if first <= k:
        return [*proof_ranges(first, start, start + k, complete), (start + k, end)]
    return [*proof_ranges(first - k, start + k, end, False), (start, start + k)]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The leaf ranges of PROOF(first, D[second]): empty when first is 0 or second (LOG-4)."""
    return [] if first in (0, second) else proof_ranges(first, 0, second)


class Tree:
    """Random leaf data and the adapter's tree hashes of its ranges, each asked for once."""

    def __init__(self, ctx: Context, size: int) -> None:
        self.ctx = ctx
        self.leaves = [ctx.random_bytes(ctx.rng.randrange(48)) for _ in range(size)]
        self._hashes: dict[Range, str] = {}

    def hash(self, start: int, end: int) -> str:
        """The adapter's tree hash of leaves [start, end), which the test builds on."""
        if (start, end) not in self._hashes:
            params = {"leaves": self.leaves[start:end]}
            self._hashes[start, end] = self.ctx.prerequisite("tree_hash", params)["root_hash"]
        return self._hashes[start, end]

    def leaf_hash(self, index: int) -> str:
        params = {"leaf_data": self.leaves[index]}
        return self.ctx.prerequisite("leaf_hash", params)["leaf_hash"]

    def hashes(self, ranges: list[Range]) -> list[str]:
        return [self.hash(start, end) for start, end in ranges]


def _flip_bit(ctx: Context, value: str) -> str:
    """``value`` (hex) with one random bit flipped."""
    raw = bytearray.fromhex(value)
    bit = ctx.rng.randrange(8 * len(raw))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    return raw.hex()


def _damaged(ctx: Context, params: dict[str, Any], hashes: tuple[str, ...]) -> list[tuple]:
    """Copies of a valid request, each broken one way, with what was broken."""
    proof = params["proof"]
    copies: list[tuple[str, dict[str, Any]]] = [
        ("one hash too many", {**params, "proof": [*proof, ctx.random_bytes(32)]}),
    ]
    for name in hashes:
        copies.append(
            (f"one bit of {name} flipped", {**params, name: _flip_bit(ctx, params[name])})
        )
    if proof:
        position = ctx.rng.randrange(len(proof))
        flipped = [*proof]
        flipped[position] = _flip_bit(ctx, proof[position])
        copies.append((f"one bit of proof hash {position} flipped", {**params, "proof": flipped}))
        copies.append(("the last hash missing", {**params, "proof": proof[:-1]}))
    return copies


def _accept_then_reject(
    ctx: Context, op: str, params: dict[str, Any], hashes: tuple[str, ...], why: str
) -> None:
    """A valid proof verifies; each damaged copy of it is ``invalid_input`` (IOP-35, IOP-36)."""
    ctx.expect_equal(op, params, {"verified": True}, why)
    for damage, copy in _damaged(ctx, params, hashes):
        ctx.expect_error(op, copy, f"{why}, {damage}")


def _inclusion(ctx: Context, tree: Tree, index: int) -> None:
    size = len(tree.leaves)
    params = {
        "leaf_hash": tree.leaf_hash(index),
        "leaf_index": index,
        "tree_size": size,
        "proof": tree.hashes(path_ranges(index, 0, size)),
        "root_hash": tree.hash(0, size),
    }
    why = f"leaf {index} of {size}, proof built from tree_hash answers"
    _accept_then_reject(ctx, "inclusion_verify", params, ("leaf_hash", "root_hash"), why)


def _sizes(ctx: Context) -> list[int]:
    """Tree sizes: the smallest, powers of two and their neighbours, and random ones."""
    power = 1 << ctx.rng.randrange(2, 7)
    return [1, 2, 3, power, power + 1, power - 1, ctx.rng.randrange(5, 300)]


@behaviour(
    "merkle/inclusion-random-trees",
    ("LOG-1", "LOG-3"),
    ("tree_hash", "leaf_hash", "inclusion_verify"),
    "PATH of random trees verifies; a flipped bit, a missing or an extra hash is rejected",
)
def inclusion_random_trees(ctx: Context) -> None:
    for size in _sizes(ctx):
        tree = Tree(ctx, size)
        for index in {0, size - 1, ctx.rng.randrange(size)}:
            _inclusion(ctx, tree, index)


@behaviour(
    "merkle/inclusion-every-index",
    ("LOG-3",),
    ("tree_hash", "leaf_hash", "inclusion_verify"),
    "every leaf of a random tree of 17 to 40 leaves has a proof that verifies",
)
def inclusion_every_index(ctx: Context) -> None:
    tree = Tree(ctx, ctx.rng.randrange(17, 41))
    size = len(tree.leaves)
    root = tree.hash(0, size)
    for index in range(size):
        params = {
            "leaf_hash": tree.leaf_hash(index),
            "leaf_index": index,
            "tree_size": size,
            "proof": tree.hashes(path_ranges(index, 0, size)),
            "root_hash": root,
        }
        ctx.expect_equal("inclusion_verify", params, {"verified": True}, f"leaf {index}")


def _consistency(ctx: Context, tree: Tree, first: int, second: int) -> None:
    params = {
        "size1": first,
        "size2": second,
        "root1": tree.hash(0, first),
        "root2": tree.hash(0, second),
        "proof": tree.hashes(consistency_ranges(first, second)),
    }
    why = f"{first} to {second} leaves, proof built from tree_hash answers"
    # LOG-4: from the empty tree, only the first root is checked (it is the empty tree's).
    roots = ("root1",) if first == 0 else ("root1", "root2")
    _accept_then_reject(ctx, "consistency_verify", params, roots, why)
    if 0 < first < second:
        swapped = {**params, "root1": params["root2"], "root2": params["root1"]}
        ctx.expect_error("consistency_verify", swapped, f"{why}, roots swapped")


@behaviour(
    "merkle/consistency-random-trees",
    ("LOG-1", "LOG-4"),
    ("tree_hash", "consistency_verify"),
    "PROOF between random sizes verifies (also 0 and equal sizes); damaged copies are rejected",
)
def consistency_random_trees(ctx: Context) -> None:
    for second in _sizes(ctx):
        tree = Tree(ctx, second)
        firsts = {0, 1, second, second - 1, ctx.rng.randrange(second + 1)}
        for first in sorted(firsts):
            _consistency(ctx, tree, first, second)


@behaviour(
    "merkle/one-leaf-tree",
    ("LOG-1",),
    ("tree_hash", "leaf_hash"),
    "the tree of one leaf hashes to its leaf hash; the order of leaves matters",
)
def one_leaf_tree(ctx: Context) -> None:
    for length in (0, 1, 32, ctx.rng.randrange(2, 200)):
        data = ctx.random_bytes(length)
        leaf = ctx.result("leaf_hash", {"leaf_data": data})["leaf_hash"]
        ctx.expect_equal("tree_hash", {"leaves": [data]}, {"root_hash": leaf}, "one leaf")
    first, second = ctx.random_bytes(8), ctx.random_bytes(8)
    forward = ctx.result("tree_hash", {"leaves": [first, second]})["root_hash"]
    backward = ctx.result("tree_hash", {"leaves": [second, first]})["root_hash"]
    if forward == backward:
        raise CheckFailed(
            "two leaves in either order gave the same tree hash",
            {"op": "tree_hash", "params": {"leaves": [second, first]}},
            f"not {forward}",
            backward,
        )


def batch_leaf(number: int, digest: str) -> str:
    """The leaf data of LOG-2 for a batch number and an export.bin digest (hex)."""
    return BATCH_LEAF_LABEL + NUMBER_FIELD + f"{number:016x}" + DIGEST_FIELD + digest


def _damaged_leaves(ctx: Context, number: int, digest: str) -> list[tuple[str, str]]:
    """Leaf data that LOG-2 rejects, each derived from a valid leaf."""
    valid = batch_leaf(number, digest)
    label = BATCH_LEAF_LABEL + NUMBER_FIELD
    copies = [
        ("a byte appended", valid + "00"),
        ("the label changed", "0016" + _flip_bit(ctx, BATCH_LEAF_LABEL[4:]) + valid[48:]),
        ("a 7-byte number", label[:-4] + "0007" + f"{number:016x}"[2:] + DIGEST_FIELD + digest),
        ("a 9-byte number", label[:-4] + "0009" + f"{number:018x}" + DIGEST_FIELD + digest),
        ("a 31-byte digest", label + f"{number:016x}" + "001f" + digest[:62]),
        ("a 33-byte digest", label + f"{number:016x}" + "0021" + digest + "00"),
        ("number 2**64-1", batch_leaf(2**64 - 1, digest)),
    ]
    cuts = sorted({ctx.rng.randrange(len(valid) // 2) for _ in range(12)} | {0, 1, 2, 24, 34})
    copies += [(f"cut to {cut} bytes", valid[: 2 * cut]) for cut in cuts]
    return copies


@behaviour(
    "merkle/batch-leaf",
    ("LOG-1", "LOG-2"),
    ("batch_leaf_decode", "leaf_hash"),
    "leaves laid out as LOG-2 says decode to their fields; damaged copies are rejected",
)
def batch_leaf_layout(ctx: Context) -> None:
    numbers = [0, ctx.rng.randrange(1, 1 << 20), ctx.rng.randrange(1 << 53), MAX_BATCH_NUMBER]
    for number in numbers:
        digest = ctx.random_bytes(32)
        data = batch_leaf(number, digest)
        leaf = ctx.result("leaf_hash", {"leaf_data": data})["leaf_hash"]
        want = {"batch_number": number, "export_bin_sha256": digest, "leaf_hash": leaf}
        ctx.expect_equal("batch_leaf_decode", {"leaf_data": data}, want, f"batch {number}")
        for damage, copy in _damaged_leaves(ctx, number, digest):
            ctx.expect_error("batch_leaf_decode", {"leaf_data": copy}, f"batch leaf, {damage}")


TESTS = (
    inclusion_random_trees,
    inclusion_every_index,
    consistency_random_trees,
    one_leaf_tree,
    batch_leaf_layout,
)
