"""C2SP tlog-witness add-checkpoint: the request codec and the witness's checks (WIT-1..3)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint
from bluezone.protocol.errors import (
    ProtocolError,
    WitnessConflictError,
    WitnessLogSignatureError,
    WitnessOldSizeError,
    WitnessProofError,
    WitnessRequestMalformedError,
    WitnessUnknownLogError,
)
from bluezone.protocol.merkle import MerkleTree
from bluezone.protocol.note import NoteSigner
from bluezone.protocol.witness import (
    AddCheckpoint,
    check_add_checkpoint,
    parse_cosignature_lines,
    parse_tree_size,
)

ORIGIN = "witness.test/log"


def _signer(name: str, seed: int) -> NoteSigner:
    return NoteSigner(name, bytes([seed]) * 32)


def _tree(size: int, salt: bytes = b"") -> MerkleTree:
    tree = MerkleTree()
    for i in range(size):
        tree.append_leaf(salt + bytes([i % 256]))
    return tree


def _note(tree: MerkleTree, signer: NoteSigner, size: int | None = None) -> bytes:
    size = tree.size if size is None else size
    return sign_checkpoint(Checkpoint(signer.name, size, tree.root(size)), signer)


def _request(tree: MerkleTree, old: int, signer: NoteSigner, size: int | None = None):
    size = tree.size if size is None else size
    proof = tree.consistency_proof(old, size) if old <= size else ()
    return AddCheckpoint(old, proof, _note(tree, signer, size))


def _cosigned(tree: MerkleTree, size: int) -> dict[str, Checkpoint]:
    return {ORIGIN: Checkpoint(ORIGIN, size, tree.root(size))}


# --- the codec (WIT-1) ---------------------------------------------------------------------


def test_the_c2sp_example_shape_parses_and_serialises_back():
    log = _signer(ORIGIN, 1)
    tree = _tree(7)
    request = _request(tree, 3, log)
    body = bytes(request)
    head = body.split(b"\n\n", 1)[0].decode().split("\n")
    assert head[0] == "old 3" and len(head) == 1 + len(request.proof)
    assert AddCheckpoint.from_bytes(body) == request


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 1\n",  # no blank line
        b"new 1\n\nx",
        b"old 01\n\nx",
        b"old -1\n\nx",
        b"old 18446744073709551616\n\nx",
        b"old 1 \n\nx",
        b"old 1\nnot base64\n\nx",
        b"old 1\nAAAA\n\nx",  # a 3-byte hash
        b"old \xff\n\nx",
        b"old 1\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx",
        b"old 1\n\n" + b"x" * (70 * 1024),
    ],
    ids=[
        "empty",
        "no-blank",
        "word",
        "leading-zero",
        "negative",
        "over-uint64",
        "space",
        "base64",
        "short-hash",
        "not-ascii",
        "64-lines",
        "too-large",
    ],
)
def test_malformed_requests_are_refused(body):
    with pytest.raises(WitnessRequestMalformedError):
        AddCheckpoint.from_bytes(body)


@given(
    st.integers(0, 2**64 - 1),
    st.lists(st.binary(min_size=32, max_size=32), max_size=63),
    st.binary(max_size=200),
)
def test_round_trip(old, proof, note):
    request = AddCheckpoint(old, tuple(proof), note)
    assert AddCheckpoint.from_bytes(bytes(request)) == request


@given(st.binary(max_size=400))
def test_random_bytes_raise_only_protocol_errors(data):
    try:
        request = AddCheckpoint.from_bytes(data)
    except ProtocolError:
        return
    with contextlib.suppress(ProtocolError):
        check_add_checkpoint(request, [_signer(ORIGIN, 1).verifier()], {})


def test_tree_sizes_are_decimal_without_leading_zero():
    assert parse_tree_size("0") == 0 and parse_tree_size("20852014") == 20852014
    for text in ("", "00", "1.0", "+1", "0x1", "\u0661"):
        with pytest.raises(WitnessRequestMalformedError):
            parse_tree_size(text)


def test_cosignature_answers_are_signature_lines():
    assert parse_cosignature_lines("— w AAAA\n— v BBBB\n".encode()) == ("— w AAAA\n", "— v BBBB\n")
    for bad in (b"", b"\xff\n", "— w AAAA".encode(), "— w AAAA\nplain\n".encode()):
        with pytest.raises(WitnessRequestMalformedError):
            parse_cosignature_lines(bad)


# --- the checks (WIT-2), in their order ----------------------------------------------------


def test_a_first_checkpoint_is_accepted_from_size_zero():
    log = _signer(ORIGIN, 1)
    tree = _tree(5)
    checkpoint = check_add_checkpoint(_request(tree, 0, log), [log.verifier()], {})
    assert (checkpoint.tree_size, checkpoint.root_hash) == (5, tree.root())


def test_a_consistent_extension_is_accepted():
    log = _signer(ORIGIN, 1)
    tree = _tree(9)
    request = _request(tree, 4, log)
    assert check_add_checkpoint(request, [log.verifier()], _cosigned(tree, 4)).tree_size == 9


def test_the_same_checkpoint_again_is_accepted():
    log = _signer(ORIGIN, 1)
    tree = _tree(4)
    assert check_add_checkpoint(_request(tree, 4, log), [log.verifier()], _cosigned(tree, 4))


def test_an_unknown_origin_is_404():
    tree = _tree(2)
    other = _signer("other.test/log", 2)
    with pytest.raises(WitnessUnknownLogError):
        check_add_checkpoint(_request(tree, 0, other), [_signer(ORIGIN, 1).verifier()], {})


def test_a_checkpoint_not_signed_by_the_trusted_key_is_403():
    tree = _tree(2)
    impostor = _signer(ORIGIN, 9)
    with pytest.raises(WitnessLogSignatureError):
        check_add_checkpoint(_request(tree, 0, impostor), [_signer(ORIGIN, 1).verifier()], {})


def test_an_old_size_above_the_new_size_is_400():
    log = _signer(ORIGIN, 1)
    tree = _tree(3)
    request = AddCheckpoint(4, (), _note(tree, log))
    with pytest.raises(WitnessOldSizeError):
        check_add_checkpoint(request, [log.verifier()], _cosigned(_tree(4), 4))


def test_an_old_size_other_than_the_witness_s_is_409_with_its_size():
    log = _signer(ORIGIN, 1)
    tree = _tree(8)
    with pytest.raises(WitnessConflictError) as caught:
        check_add_checkpoint(_request(tree, 2, log), [log.verifier()], _cosigned(tree, 5))
    assert caught.value.known_size == 5
    with pytest.raises(WitnessConflictError) as caught:
        check_add_checkpoint(_request(tree, 0, log), [log.verifier()], _cosigned(tree, 5))
    assert caught.value.known_size == 5


def test_another_root_at_the_size_cosigned_is_409():
    log = _signer(ORIGIN, 1)
    fork = _tree(4, salt=b"x")
    with pytest.raises(WitnessConflictError):
        check_add_checkpoint(_request(fork, 4, log), [log.verifier()], _cosigned(_tree(4), 4))


def test_a_fork_s_proof_fails_with_422():
    log = _signer(ORIGIN, 1)
    fork = _tree(7, salt=b"x")
    with pytest.raises(WitnessProofError):
        check_add_checkpoint(_request(fork, 4, log), [log.verifier()], _cosigned(_tree(4), 4))


def test_a_proof_from_size_zero_must_be_empty():
    log = _signer(ORIGIN, 1)
    tree = _tree(4)
    request = AddCheckpoint(0, (tree.root(2),), _note(tree, log))
    with pytest.raises(WitnessProofError):
        check_add_checkpoint(request, [log.verifier()], {})
