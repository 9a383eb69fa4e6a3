"""The pieces of the export and log checks: proof shapes, field names, result shapes (IOP-31..41).

The Merkle behaviour tests build proofs from the subtrees RFC 9162 names; their counts must
be the lengths LOG-3 and LOG-4 give, or the suite would blame good verifiers.
"""

from __future__ import annotations

import itertools

import pytest

from bluezone.interop_tests.adapter_kit import AdapterInputError, text_param
from bluezone.interop_tests.behaviour.merkle import batch_leaf, consistency_ranges, path_ranges
from bluezone.interop_tests.log_checks import log_same, log_shape_error
from bluezone.interop_tests.replay_log import snake, snake_keys
from bluezone.protocol.merkle import MerkleTree, leaf_hash


def inclusion_length(index: int, size: int) -> int:
    """LOG-3: b + popcount(m >> b), b the bit length of m XOR (n - 1)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


@pytest.mark.parametrize("size", range(1, 70))
def test_path_has_the_length_of_log_3_and_covers_the_tree_once(size: int):
    for index in range(size):
        ranges = path_ranges(index, 0, size)
        assert len(ranges) == inclusion_length(index, size)
        covered = sorted([(index, index + 1), *ranges])
        assert covered[0][0] == 0 and covered[-1][1] == size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))


def test_rfc_9162_examples_of_path_and_proof():
    # RFC 9162 section 2.1.5: the tree of 7 leaves d0..d6.
    assert path_ranges(0, 0, 7) == [(1, 2), (2, 4), (4, 7)]
    assert path_ranges(3, 0, 7) == [(2, 3), (0, 2), (4, 7)]
    assert path_ranges(4, 0, 7) == [(5, 6), (6, 7), (0, 4)]
    assert path_ranges(6, 0, 7) == [(4, 6), (0, 4)]
    assert consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert consistency_ranges(4, 7) == [(4, 7)]
    assert consistency_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]


def _subtree_hashes(leaves: list[bytes], ranges: list[tuple[int, int]]) -> tuple[bytes, ...]:
    return tuple(MerkleTree(leaf_hash(d) for d in leaves[a:b]).root() for a, b in ranges)


@pytest.mark.parametrize("size", range(1, 34))
def test_proofs_assembled_from_subtree_hashes_are_the_librarys_proofs(size: int):
    # The library is only a cross-check of the test helpers here; the suite never imports it.
    leaves = [bytes([i]) for i in range(size)]
    tree = MerkleTree(leaf_hash(d) for d in leaves)
    for index in range(size):
        ranges = path_ranges(index, 0, size)
        assert _subtree_hashes(leaves, ranges) == tree.inclusion_proof(index)
    for first in range(size + 1):
        ranges = consistency_ranges(first, size)
        assert _subtree_hashes(leaves, ranges) == tree.consistency_proof(first)


def test_batch_leaf_layout_is_log_2():
    leaf = bytes.fromhex(batch_leaf(1, "ab" * 32))
    assert leaf[:24] == b"\x00\x16bluezone-batch-leaf/v1"
    assert leaf[24:34] == b"\x00\x08" + (1).to_bytes(8, "big")
    assert leaf[34:] == b"\x00\x20" + b"\xab" * 32


def test_vector_field_names_become_snake_case():
    assert snake("exportBinSha256") == "export_bin_sha256"
    assert snake("size1") == "size1" and snake("nowS") == "now_s"
    assert snake_keys({"keyId": [{"keyData": 1}]}) == {"key_id": [{"key_data": 1}]}


def test_result_shapes_tell_booleans_from_integers():
    assert log_shape_error("inclusion_verify", {"verified": True}) is None
    assert log_shape_error("inclusion_verify", {"verified": 1})
    assert log_shape_error("inclusion_verify", {"verified": "true"})
    good = {"batch_number": 2**64 - 2, "export_bin_sha256": "00" * 32, "leaf_hash": "11" * 32}
    assert log_shape_error("batch_leaf_decode", good) is None
    assert log_shape_error("batch_leaf_decode", {**good, "batch_number": True})
    assert log_shape_error("batch_leaf_decode", {**good, "leaf_hash": "AB" * 32})
    assert log_shape_error("batch_leaf_decode", {**good, "leaf_hash": "ab" * 31})


def test_export_keys_need_every_field_and_null_for_absent_ones():
    key = {
        "key_data": "00" * 16,
        "rolling_start_interval_number": 0,
        "rolling_period": 144,
        "transmission_risk_level": None,
        "report_type": None,
        "days_since_onset_of_symptoms": -14,
    }
    result = {
        "export_bin_sha256": "00" * 32,
        "start_timestamp": 0,
        "end_timestamp": 0,
        "region": "",
        "batch_num": 1,
        "batch_size": 1,
        "signature_infos": [],
        "keys": [key],
        "revised_keys": [],
    }
    assert log_shape_error("export_parse", result) is None
    missing = {k: v for k, v in key.items() if k != "report_type"}
    assert "report_type" in str(log_shape_error("export_parse", {**result, "keys": [missing]}))
    assert log_same("export_parse", "key_count", 1, result)
    assert not log_same("export_parse", "key_count", 2, result)


def test_signers_and_cosignatures_compare_as_sets():
    a, b = {"name": "61", "key_id": "00000001"}, {"name": "62", "key_id": "00000002"}
    assert log_same("note_verify", "verified", [a, b], {"verified": [b, a]})
    assert not log_same("note_verify", "verified", [a, b], {"verified": [a]})
    assert log_same("note_verify", "text", "61", {"text": "61"})
    assert not log_same("checkpoint_verify", "tree_size", 1, {"tree_size": True})


def test_text_params_must_be_utf8_in_hex():
    assert text_param({"t": "e28094"}, "t") == "\u2014"
    with pytest.raises(AdapterInputError):
        text_param({"t": "ff"}, "t")
