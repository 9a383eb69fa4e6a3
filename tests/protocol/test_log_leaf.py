"""The log's batch leaf (spec LOG-2): vectors from spec/vectors/merkle.json and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.errors import BatchLeafError, MerkleError
from bluezone.protocol.log_leaf import BatchLeaf, verify_batch_inclusion
from bluezone.protocol.merkle import MerkleTree
from tests.vectorfiles import cases


@pytest.mark.parametrize("test", cases("merkle.json", "BatchLeaf"))
def test_batch_leaf_vectors(test: dict) -> None:
    data = bytes.fromhex(test["inputs"]["leafData"])
    if test["result"] == "valid":
        leaf = BatchLeaf.from_bytes(data)
        expected = test["expected"]
        assert leaf.batch_number == expected["batchNumber"]
        assert leaf.export_bin_sha256.hex() == expected["exportBinSha256"]
        assert leaf.leaf_hash().hex() == expected["leafHash"]
        assert bytes(leaf) == data
    else:
        with pytest.raises(BatchLeafError) as info:
            BatchLeaf.from_bytes(data)
        assert info.value.code == test["expected"]["error"]


@given(st.integers(0, 2**64 - 2), st.binary(min_size=32, max_size=32))
def test_batch_leaf_round_trip(number: int, digest: bytes) -> None:
    leaf = BatchLeaf(number, digest)
    assert BatchLeaf.from_bytes(bytes(leaf)) == leaf


@given(st.binary(max_size=80))
def test_random_leaf_data_raises_only_batch_leaf_error(data: bytes) -> None:
    try:
        leaf = BatchLeaf.from_bytes(data)
    except BatchLeafError:
        return
    assert bytes(leaf) == data


def test_batch_number_is_the_leaf_index() -> None:
    leaves = [BatchLeaf.for_export(n, b"EK Export v1    " + bytes([n])) for n in range(5)]
    tree = MerkleTree(leaf.leaf_hash() for leaf in leaves)
    for leaf in leaves:
        verify_batch_inclusion(leaf, 5, tree.inclusion_proof(leaf.batch_number), tree.root())
    moved = BatchLeaf(3, leaves[2].export_bin_sha256)
    with pytest.raises(MerkleError) as info:
        verify_batch_inclusion(moved, 5, tree.inclusion_proof(2), tree.root())
    assert info.value.code == "merkle_root_mismatch"
