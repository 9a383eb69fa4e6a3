"""Generate spec/vectors/merkle.json: RFC 9162 tree hashes, inclusion and consistency proofs.

Expected values come from a small recursive implementation written straight from the
definitions of RFC 9162 section 2.1 (MTH, PATH, SUBPROOF), independent of protocol/merkle.py,
and the external values of transparency-dev/merkle are checked against it before use.
Invalid cases corrupt valid proofs the way transparency-dev/merkle's verify tests do; each
expected error follows from the check order of spec LOG-3 and LOG-4.

Usage: python spec/tools/generate_merkle_vectors.py --seed 9162
"""

from __future__ import annotations

import argparse
import random
import zipfile
from hashlib import sha256
from pathlib import Path

from vectorfile import VECTORS_DIR, Group, write_vector_file

TD_CONSTANTS = (
    "transparency-dev/merkle:testonly/constants.go@582a6ad190b6848f1d26f8bf08ddef29955d9db1"
)
TD_VERIFY = "transparency-dev/merkle:proof/verify_test.go@02194e9afb6c1d95b5381350007963aa70fff472"

# transparency-dev/merkle testonly.LeafInputs() and RootHashes() (sizes 1..8).
TD_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
TD_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
TD_EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# proof/verify_test.go inclusionProofs: (leaf, 1-based; size; proof).
TD_INCLUSION = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# proof/verify_test.go consistencyProofs: (size1, size2, proof).
TD_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
# proof/verify_test.go sha256SomeHash, used as a wrong root and an inserted component.
TD_SOME_HASH = "abacaba000000000000000000000000000000000000000000060061e00123456"

NOTES = {
    "External": "value taken from a public implementation's tests (source names it)",
    "EmptyTree": "the tree of no leaves, whose hash is SHA-256 of the empty string",
    "Generated": "random leaves from the seeded generator, checked by the RFC reference",
    "WrongIndex": "the leaf index differs from the one the proof was made for",
    "WrongSize": "a tree size differs from the one the proof was made for",
    "WrongLeaf": "the leaf hash is not the one at the index",
    "WrongRoot": "a root hash is not the tree's",
    "TrailingGarbage": "an extra hash (or empty value) appended to the proof",
    "PrecedingGarbage": "an extra hash (or empty value) prepended to the proof",
    "ModifiedProof": "one bit of one proof hash flipped",
    "RemovedComponent": "the last proof hash removed",
    "InsertedComponent": "a foreign hash inserted into the proof",
    "BadHashLength": "a hash that is not 32 bytes",
    "IndexOutOfRange": "leaf index not below the tree size",
    "SizeOutOfRange": "a tree size outside 0..2**64-1",
    "SizesOutOfOrder": "consistency proof asked from a larger tree to a smaller one",
    "EqualSizes": "consistency between equal sizes: empty proof, equal roots",
    "EmptyProof": "a proof with no hashes where some are needed",
    "SwappedRoots": "the old and new roots exchanged",
    "MalformedLeaf": "batch leaf data that breaks the LOG-2 encoding",
}

MAX_SIZE = 2**64 - 1
BATCH_LEAF_LABEL = b"bluezone-batch-leaf/v1"
REAL_EXPORT = VECTORS_DIR / "export" / "testExport-2-records-1-of-1.zip"


def lp(value: bytes) -> bytes:
    """A field of the batch leaf: 2-byte big-endian length, then the bytes (spec LOG-2)."""
    return len(value).to_bytes(2, "big") + value


def batch_leaf(number: int, digest: bytes) -> bytes:
    return lp(BATCH_LEAF_LABEL) + lp(number.to_bytes(8, "big")) + lp(digest)


def batch_leaf_group(rng: random.Random) -> Group:
    """Valid leaves (one for a real export.bin) and malformed leaf data (spec LOG-2)."""
    with zipfile.ZipFile(REAL_EXPORT) as zf:
        real_digest = sha256(zf.read("export.bin")).digest()
    group = Group("BatchLeaf", "the log's leaf for a published batch (spec LOG-2)")
    for number, digest, comment in (
        (0, real_digest, "batch 0: export.bin of testExport-2-records-1-of-1.zip"),
        (1, rng.randbytes(32), "batch 1"),
        (2**64 - 2, rng.randbytes(32), "largest batch number"),
    ):
        data = batch_leaf(number, digest)
        expected = {
            "batchNumber": number,
            "exportBinSha256": digest.hex(),
            "leafHash": h_leaf(data).hex(),
        }
        group.add(
            comment, ["LOG-1", "LOG-2"], ["Generated"], {"leafData": data.hex()}, expected=expected
        )
    good = batch_leaf(7, rng.randbytes(32))
    label_field = lp(BATCH_LEAF_LABEL)
    bad = [
        ("empty", b""),
        ("truncated inside a length prefix", good[:1]),
        ("truncated inside the digest", good[:-1]),
        ("trailing byte", good + b"\x00"),
        ("other label", lp(b"bluezone-batch-leaf/v2") + good[len(label_field) :]),
        ("7-byte batch number", label_field + lp(bytes(7)) + lp(bytes(32))),
        ("9-byte batch number", label_field + lp(bytes(9)) + lp(bytes(32))),
        ("31-byte digest", label_field + lp(bytes(8)) + lp(bytes(31))),
        ("33-byte digest", label_field + lp(bytes(8)) + lp(bytes(33))),
        ("batch number 2**64-1", label_field + lp(b"\xff" * 8) + lp(bytes(32))),
        ("length prefix past the end", label_field + b"\xff\xff" + bytes(8)),
        ("fields without length prefixes", BATCH_LEAF_LABEL + bytes(8) + bytes(32)),
    ]
    for comment, data in bad:
        group.add(
            comment,
            ["LOG-2"],
            ["MalformedLeaf"],
            {"leafData": data.hex()},
            error="invalid_batch_leaf",
        )
    return group


def h_leaf(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def h_node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 MTH over leaf hashes."""
    if not hashes:
        return sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return h_node(mth(hashes[:k]), mth(hashes[k:]))


def path(m: int, hashes: list[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]) over leaf hashes, leaf side first."""
    n = len(hashes)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*path(m, hashes[:k]), mth(hashes[k:])]
    return [*path(m - k, hashes[k:]), mth(hashes[:k])]


def subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[n], b)."""
    n = len(hashes)
    if m == n:
        return [] if complete else [mth(hashes)]
    k = split_point(n)
    if m <= k:
        return [*subproof(m, hashes[:k], complete), mth(hashes[k:])]
    return [*subproof(m - k, hashes[k:], False), mth(hashes[:k])]


def path_length(m: int, n: int) -> int:
    if n == 1:
        return 0
    k = split_point(n)
    return 1 + (path_length(m, k) if m < k else path_length(m - k, n - k))


def subproof_length(m: int, n: int, complete: bool) -> int:
    if m == n:
        return 0 if complete else 1
    k = split_point(n)
    if m <= k:
        return 1 + subproof_length(m, k, complete)
    return 1 + subproof_length(m - k, n - k, False)


def root_from_path(m: int, n: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """Rebuild the root from a PATH by its recursive shape (proof must have the right length)."""
    if n == 1:
        return leaf
    k = split_point(n)
    if m < k:
        return h_node(root_from_path(m, k, leaf, proof[:-1]), proof[-1])
    return h_node(proof[-1], root_from_path(m - k, n - k, leaf, proof[:-1]))


def roots_from_subproof(
    m: int, n: int, complete: bool, old_root: bytes, proof: list[bytes]
) -> tuple[bytes, bytes]:
    """Rebuild (old root, new root) from a SUBPROOF by its recursive shape."""
    if m == n:
        node = old_root if complete else proof[-1]
        return node, node
    k = split_point(n)
    if m <= k:
        old, new = roots_from_subproof(m, k, complete, old_root, proof[:-1])
        return old, h_node(new, proof[-1])
    old, new = roots_from_subproof(m - k, n - k, False, old_root, proof[:-1])
    return h_node(proof[-1], old), h_node(proof[-1], new)


def valid_size(size: int) -> bool:
    return 0 <= size <= MAX_SIZE


def inclusion_error(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> str:
    """The error code spec LOG-3 assigns, or "" if the proof verifies."""
    if not valid_size(size):
        return "merkle_tree_size"
    if not 0 <= index < size:
        return "merkle_index_out_of_range"
    if any(len(h) != 32 for h in (leaf, root, *proof)):
        return "merkle_hash_length"
    if len(proof) != path_length(index, size):
        return "merkle_proof_length"
    if root_from_path(index, size, leaf, proof) != root:
        return "merkle_root_mismatch"
    return ""


def consistency_error(m: int, n: int, root1: bytes, root2: bytes, proof: list[bytes]) -> str:
    """The error code spec LOG-4 assigns, or "" if the proof verifies."""
    if not (valid_size(m) and valid_size(n)):
        return "merkle_tree_size"
    if m > n:
        return "merkle_sizes_out_of_order"
    if any(len(h) != 32 for h in (root1, root2, *proof)):
        return "merkle_hash_length"
    expected = 0 if m in (0, n) else subproof_length(m, n, True)
    if len(proof) != expected:
        return "merkle_proof_length"
    empty = sha256(b"").digest()
    if m == 0:
        ok = root1 == empty and (n != 0 or root2 == empty)
    elif m == n:
        ok = root1 == root2
    else:
        ok = roots_from_subproof(m, n, True, root1, proof) == (root1, root2)
    return "" if ok else "merkle_root_mismatch"


def hx(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


def flip(value: bytes, mask: int) -> bytes:
    return bytes([value[0] ^ mask]) + value[1:]


def inclusion_test(
    group: Group,
    comment: str,
    flags: list[str],
    index: int,
    size: int,
    leaf: bytes,
    proof: list[bytes],
    root: bytes,
    source: str,
) -> None:
    error = inclusion_error(index, size, leaf, proof, root)
    inputs = {
        "leafIndex": index,
        "treeSize": size,
        "leafHash": leaf.hex(),
        "proof": hx(proof),
        "rootHash": root.hex(),
    }
    expected = {"error": error} if error else {}
    spec = ["LOG-1", "LOG-3"]
    group.add(comment, spec, flags, inputs, expected=expected, source=source)


def inclusion_corruptions(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> list[tuple[str, list[str], int, int, bytes, list[bytes], bytes]]:
    """transparency-dev/merkle's corruptInclusionProof, plus size and length checks."""
    some, empty = bytes.fromhex(TD_SOME_HASH), sha256(b"").digest()
    cases = [
        ("leaf index - 1", ["WrongIndex"], index - 1, size, leaf, proof, root),
        ("leaf index + 1", ["WrongIndex"], index + 1, size, leaf, proof, root),
        ("leaf index ^ 2", ["WrongIndex"], index ^ 2, size, leaf, proof, root),
        ("tree size * 2", ["WrongSize"], index, size * 2, leaf, proof, root),
        ("tree size / 2", ["WrongSize"], index, size // 2, leaf, proof, root),
        (
            "wrong leaf (9 bytes)",
            ["WrongLeaf", "BadHashLength"],
            index,
            size,
            b"WrongLeaf",
            proof,
            root,
        ),
        ("wrong leaf hash", ["WrongLeaf"], index, size, h_leaf(b"WrongLeaf"), proof, root),
        ("empty-tree root", ["WrongRoot"], index, size, leaf, proof, empty),
        ("random root", ["WrongRoot"], index, size, leaf, proof, some),
        (
            "trailing empty value",
            ["TrailingGarbage", "BadHashLength"],
            index,
            size,
            leaf,
            [*proof, b""],
            root,
        ),
        ("trailing root", ["TrailingGarbage"], index, size, leaf, [*proof, root], root),
        (
            "preceding empty value",
            ["PrecedingGarbage", "BadHashLength"],
            index,
            size,
            leaf,
            [b"", *proof],
            root,
        ),
        ("preceding root", ["PrecedingGarbage"], index, size, leaf, [root, *proof], root),
        ("31-byte root", ["BadHashLength"], index, size, leaf, proof, root[:31]),
        ("tree size 2**64", ["SizeOutOfRange"], index, 2**64, leaf, proof, root),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 8)
        cases.append(
            (f"proof[{i}] bit 3 flipped", ["ModifiedProof"], index, size, leaf, wrong, root)
        )
    if proof:
        cases.append(
            ("last component removed", ["RemovedComponent"], index, size, leaf, proof[:-1], root)
        )
    if len(proof) > 1:
        cases.append(
            (
                "component inserted",
                ["InsertedComponent"],
                index,
                size,
                leaf,
                [proof[0], some, *proof[1:]],
                root,
            )
        )
    return cases


def consistency_test(
    group: Group,
    comment: str,
    flags: list[str],
    m: int,
    n: int,
    root1: bytes,
    root2: bytes,
    proof: list[bytes],
    source: str,
) -> None:
    error = consistency_error(m, n, root1, root2, proof)
    inputs = {
        "size1": m,
        "size2": n,
        "root1": root1.hex(),
        "root2": root2.hex(),
        "proof": hx(proof),
    }
    expected = {"error": error} if error else {}
    spec = ["LOG-1", "LOG-4"]
    group.add(comment, spec, flags, inputs, expected=expected, source=source)


def consistency_corruptions(
    m: int, n: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> list[tuple[str, list[str], int, int, bytes, bytes, list[bytes]]]:
    """transparency-dev/merkle's corruptConsistencyProof, plus size and length checks."""
    cases = [
        ("size1 - 1", ["WrongSize"], m - 1, n, root1, root2, proof),
        ("size1 + 1", ["WrongSize"], m + 1, n, root1, root2, proof),
        ("size1 ^ 2", ["WrongSize"], m ^ 2, n, root1, root2, proof),
        ("size2 * 2", ["WrongSize"], m, n * 2, root1, root2, proof),
        ("size2 / 2", ["WrongSize"], m, n // 2, root1, root2, proof),
        ("9-byte root1", ["WrongRoot", "BadHashLength"], m, n, b"WrongRoot", root2, proof),
        ("9-byte root2", ["WrongRoot", "BadHashLength"], m, n, root1, b"WrongRoot", proof),
        ("wrong root1", ["WrongRoot"], m, n, h_leaf(b"WrongRoot"), root2, proof),
        ("wrong root2", ["WrongRoot"], m, n, root1, h_leaf(b"WrongRoot"), proof),
        ("swapped roots", ["SwappedRoots"], m, n, root2, root1, proof),
        ("empty proof", ["EmptyProof"], m, n, root1, root2, []),
        (
            "trailing empty value",
            ["TrailingGarbage", "BadHashLength"],
            m,
            n,
            root1,
            root2,
            [*proof, b""],
        ),
        ("trailing root1", ["TrailingGarbage"], m, n, root1, root2, [*proof, root1]),
        ("trailing root2", ["TrailingGarbage"], m, n, root1, root2, [*proof, root2]),
        (
            "preceding empty value",
            ["PrecedingGarbage", "BadHashLength"],
            m,
            n,
            root1,
            root2,
            [b"", *proof],
        ),
        ("preceding root1", ["PrecedingGarbage"], m, n, root1, root2, [root1, *proof]),
        ("preceding root2", ["PrecedingGarbage"], m, n, root1, root2, [root2, *proof]),
        ("preceding proof[0]", ["PrecedingGarbage"], m, n, root1, root2, [proof[0], *proof]),
        ("truncated proof", ["RemovedComponent"], m, n, root1, root2, proof[:-1]),
        ("sizes swapped", ["SizesOutOfOrder"], n, m, root2, root1, proof),
        ("size2 2**64", ["SizeOutOfRange"], m, 2**64, root1, root2, proof),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 16)
        cases.append((f"proof[{i}] bit 4 flipped", ["ModifiedProof"], m, n, root1, root2, wrong))
    return cases


def build(seed: int) -> list[Group]:
    rng = random.Random(seed)
    td_hashes = [h_leaf(bytes.fromhex(x)) for x in TD_LEAVES]
    for size, root in enumerate(TD_ROOTS, start=1):
        assert mth(td_hashes[:size]).hex() == root, size
    assert mth([]).hex() == TD_EMPTY_ROOT

    leaf_hashes = Group("LeafHash", "RFC 9162 leaf hash SHA-256(0x00 || data)")
    for x in TD_LEAVES:
        leaf_hashes.add(
            f"leaf hash of {len(bytes.fromhex(x))} bytes",
            ["LOG-1"],
            ["External"],
            {"leafData": x},
            expected={"leafHash": h_leaf(bytes.fromhex(x)).hex()},
            source=TD_CONSTANTS,
        )
    trees = Group("TreeHash", "RFC 9162 Merkle tree hash of the listed leaf data")
    for size in range(0, 9):
        trees.add(
            f"RFC 9162 test tree, first {size} leaves",
            ["LOG-1"],
            ["External", *(["EmptyTree"] if size == 0 else [])],
            {"leaves": TD_LEAVES[:size]},
            expected={"rootHash": TD_EMPTY_ROOT if size == 0 else TD_ROOTS[size - 1]},
            source=TD_CONSTANTS,
        )
    for size in (9, 13, 16, 31, 33, 64, 100):
        leaves = [rng.randbytes(rng.randrange(0, 24)).hex() for _ in range(size)]
        root = mth([h_leaf(bytes.fromhex(x)) for x in leaves])
        trees.add(
            f"{size} random leaves",
            ["LOG-1"],
            ["Generated"],
            {"leaves": leaves},
            expected={"rootHash": root.hex()},
        )

    td_inclusion = Group(
        "InclusionProof",
        "RFC 9162 test tree; valid tests list the leaf data, their proof is PATH",
    )
    for leaf_number, size, proof_hex in TD_INCLUSION:
        proof = [bytes.fromhex(x) for x in proof_hex]
        index = leaf_number - 1
        assert path(index, td_hashes[:size]) == proof
        leaf, root = td_hashes[index], bytes.fromhex(TD_ROOTS[size - 1])
        inclusion_test(
            td_inclusion,
            f"leaf {index} of {size}",
            ["External"],
            index,
            size,
            leaf,
            proof,
            root,
            TD_VERIFY,
        )
        for comment, flags, *args in inclusion_corruptions(index, size, leaf, proof, root):
            inclusion_test(
                td_inclusion,
                f"leaf {index} of {size}: {comment}",
                ["External", *flags],
                *args,
                TD_VERIFY,
            )
    inclusion_test(
        td_inclusion,
        "index 0 of an empty tree",
        ["IndexOutOfRange"],
        0,
        0,
        td_hashes[0],
        [],
        sha256(b"").digest(),
        "generated",
    )
    inclusion_test(
        td_inclusion,
        "index 1 of a 1-leaf tree",
        ["IndexOutOfRange"],
        1,
        1,
        td_hashes[0],
        [],
        td_hashes[0],
        "generated",
    )
    inclusion_test(
        td_inclusion,
        "single leaf: proof is empty",
        [],
        0,
        1,
        td_hashes[0],
        [],
        td_hashes[0],
        "generated",
    )

    gen_leaves = [rng.randbytes(8) for _ in range(21)]
    gen_hashes = [h_leaf(x) for x in gen_leaves]
    gen_inclusion = Group(
        "InclusionProof",
        "generated tree; valid tests list the leaf data, their proof is PATH",
    )
    for size in (1, 2, 3, 5, 7, 8, 13, 16, 21):
        for index in sorted({0, size // 2, size - 1}):
            proof = path(index, gen_hashes[:size])
            root = mth(gen_hashes[:size])
            inclusion_test(
                gen_inclusion,
                f"leaf {index} of {size}",
                ["Generated"],
                index,
                size,
                gen_hashes[index],
                proof,
                root,
                "generated",
            )
    index, size = 6, 13
    proof, root = path(index, gen_hashes[:size]), mth(gen_hashes[:size])
    for comment, flags, *args in inclusion_corruptions(index, size, gen_hashes[index], proof, root):
        inclusion_test(
            gen_inclusion,
            f"leaf {index} of {size}: {comment}",
            ["Generated", *flags],
            *args,
            "generated",
        )

    td_consistency = Group(
        "ConsistencyProof",
        "RFC 9162 test tree; valid tests list the leaf data, their proof is PROOF",
    )
    for m, n, proof_hex in TD_CONSISTENCY:
        proof = [bytes.fromhex(x) for x in proof_hex]
        assert (subproof(m, td_hashes[:n], True) if m != n else []) == proof
        root1, root2 = bytes.fromhex(TD_ROOTS[m - 1]), bytes.fromhex(TD_ROOTS[n - 1])
        consistency_test(
            td_consistency, f"{m} to {n}", ["External"], m, n, root1, root2, proof, TD_VERIFY
        )
        if proof:
            for comment, flags, *args in consistency_corruptions(m, n, root1, root2, proof):
                consistency_test(
                    td_consistency, f"{m} to {n}: {comment}", ["External", *flags], *args, TD_VERIFY
                )
    empty, r1 = sha256(b"").digest(), bytes.fromhex(TD_ROOTS[0])
    some = bytes.fromhex(TD_SOME_HASH)
    special = [
        ("0 to 0, empty roots", ["EmptyTree"], 0, 0, empty, empty, []),
        ("0 to 1", ["EmptyTree"], 0, 1, empty, r1, []),
        (
            "0 to 1, old root not the empty-tree hash",
            ["EmptyTree", "WrongRoot"],
            0,
            1,
            some,
            r1,
            [],
        ),
        ("0 to 1 with a proof hash", ["EmptyTree", "TrailingGarbage"], 0, 1, empty, r1, [empty]),
        ("1 to 1, equal roots", ["EqualSizes"], 1, 1, r1, r1, []),
        ("1 to 1, different roots", ["EqualSizes", "WrongRoot"], 1, 1, r1, some, []),
        ("1 to 1 with a proof hash", ["EqualSizes", "TrailingGarbage"], 1, 1, r1, r1, [empty]),
        ("1 to 0", ["SizesOutOfOrder"], 1, 0, r1, empty, []),
        ("2 to 1", ["SizesOutOfOrder"], 2, 1, r1, r1, []),
        ("1 to 2 with no proof", ["EmptyProof"], 1, 2, r1, bytes.fromhex(TD_ROOTS[1]), []),
    ]
    for comment, flags, *args in special:
        consistency_test(td_consistency, comment, flags, *args, "generated")

    gen_consistency = Group(
        "ConsistencyProof",
        "generated tree; valid tests list the leaf data, their proof is PROOF",
    )
    for m, n in (
        (1, 2),
        (2, 3),
        (3, 7),
        (4, 8),
        (5, 13),
        (7, 16),
        (8, 21),
        (13, 21),
        (16, 17),
        (20, 21),
        (1, 21),
    ):
        proof = subproof(m, gen_hashes[:n], True)
        consistency_test(
            gen_consistency,
            f"{m} to {n}",
            ["Generated"],
            m,
            n,
            mth(gen_hashes[:m]),
            mth(gen_hashes[:n]),
            proof,
            "generated",
        )
    m, n = 5, 13
    proof = subproof(m, gen_hashes[:n], True)
    for comment, flags, *args in consistency_corruptions(
        m, n, mth(gen_hashes[:m]), mth(gen_hashes[:n]), proof
    ):
        consistency_test(
            gen_consistency, f"{m} to {n}: {comment}", ["Generated", *flags], *args, "generated"
        )

    batch_leaves = batch_leaf_group(rng)
    corruption_flags = set(NOTES) - {"External", "Generated", "EmptyTree", "EqualSizes"}
    proof_groups = (
        (td_inclusion, TD_LEAVES),
        (gen_inclusion, hx(gen_leaves)),
        (td_consistency, TD_LEAVES),
        (gen_consistency, hx(gen_leaves)),
    )
    for group, leaves in proof_groups:
        for test in group.tests:
            if corruption_flags & set(test["flags"]):
                assert test["result"] == "invalid", test["comment"]
            if test["result"] == "valid":
                test["inputs"] = {"leaves": leaves, **test["inputs"]}
    return [leaf_hashes, batch_leaves, trees, *(group for group, _ in proof_groups)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=9162)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "merkle.json",
        "RFC 9162 Merkle tree hash, inclusion and consistency proofs (SHA-256)",
        f"spec/tools/generate_merkle_vectors.py --seed {args.seed}",
        NOTES,
        build(args.seed),
    )


if __name__ == "__main__":
    main()
