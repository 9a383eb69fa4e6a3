"""Signed notes, checkpoints and cosignatures: vectors from spec/vectors/checkpoint.json."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from bluezone.protocol.errors import MerkleError, NoteError, ProtocolError
from bluezone.protocol.merkle import MerkleTree, leaf_hash
from bluezone.protocol.note import NoteSigner, NoteVerifier, SignedNote, open_note
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1
from tests.vectorfiles import cases

FILE = "checkpoint.json"


def _text(value: str) -> str:
    """Text fields are carried as UTF-8 bytes in hex."""
    return bytes.fromhex(value).decode("utf-8")


def _expect_error(test: dict, call) -> None:
    with pytest.raises(NoteError) as info:
        call()
    assert info.value.code == test["expected"]["error"]


@pytest.mark.parametrize("test", cases(FILE, "NoteVerifierKey"))
def test_verifier_key_vectors(test: dict) -> None:
    vkey = _text(test["inputs"]["vkey"])
    if test["result"] == "invalid":
        _expect_error(test, lambda: NoteVerifier.from_vkey(vkey))
        return
    verifier = NoteVerifier.from_vkey(vkey)
    expected = test["expected"]
    assert verifier.name == _text(expected["name"])
    assert f"{verifier.key_id:08x}" == expected["keyId"]
    assert verifier.signature_type == expected["signatureType"]
    assert verifier.public_key.hex() == expected["publicKey"]
    assert NoteVerifier.from_vkey(verifier.vkey) == verifier


@pytest.mark.parametrize("test", cases(FILE, "NoteSignerKey"))
def test_signer_key_vectors(test: dict) -> None:
    skey = _text(test["inputs"]["skey"])
    if test["result"] == "invalid":
        _expect_error(test, lambda: NoteSigner.from_skey(skey))
        return
    assert NoteSigner.from_skey(skey).verifier().vkey == _text(test["expected"]["vkey"])


@pytest.mark.parametrize("test", cases(FILE, "NoteSign"))
def test_sign_vectors(test: dict) -> None:
    inputs = test["inputs"]
    signer = NoteSigner.from_skey(_text(inputs["skey"]), inputs["signatureType"])
    text = _text(inputs["text"])
    note = SignedNote(text, (signer.sign(text, inputs.get("timestamp")),))
    assert bytes(note).hex() == test["expected"]["note"]
    opened = open_note(bytes(note), [signer.verifier()])
    assert opened.verified[0].timestamp_s == inputs.get("timestamp")


def _summary(signatures) -> list[dict]:
    return [{"name": s.key_name.encode().hex(), "keyId": f"{s.key_id:08x}"} for s in signatures]


@pytest.mark.parametrize("test", cases(FILE, "NoteOpen"))
def test_open_vectors(test: dict) -> None:
    inputs = test["inputs"]
    note = bytes.fromhex(inputs["note"])
    verifiers = [NoteVerifier.from_vkey(_text(k)) for k in inputs["verifierKeys"]]
    if test["result"] == "invalid":
        _expect_error(test, lambda: open_note(note, verifiers))
        return
    opened = open_note(note, verifiers)
    assert opened.text == _text(test["expected"]["text"])
    assert _summary(v.signature for v in opened.verified) == test["expected"]["verified"]
    assert _summary(opened.unverified) == test["expected"]["unverified"]


@pytest.mark.parametrize("test", cases(FILE, "Checkpoint"))
def test_checkpoint_vectors(test: dict) -> None:
    inputs = test["inputs"]
    note = bytes.fromhex(inputs["note"])

    def run():
        log = NoteVerifier.from_vkey(_text(inputs["logKey"]))
        witnesses = [NoteVerifier.from_vkey(_text(k)) for k in inputs["witnessKeys"]]
        return verify_checkpoint(note, log, witnesses, inputs["quorum"], inputs.get("nowS"))

    if test["result"] == "invalid":
        _expect_error(test, run)
        return
    verified = run()
    expected = test["expected"]
    checkpoint = verified.checkpoint
    assert checkpoint.origin == _text(expected["origin"])
    assert checkpoint.tree_size == expected["treeSize"]
    assert checkpoint.root_hash.hex() == expected["rootHash"]
    assert [line.encode().hex() for line in checkpoint.extensions] == expected["extensions"]
    got = [
        {"witness": c.witness.encode().hex(), "timestamp": c.timestamp_s}
        for c in verified.cosignatures
    ]
    assert got == expected["cosignatures"]


LOG = NoteSigner("log.example/test", bytes(range(32)))
WITNESS = NoteSigner("witness.example", bytes(range(1, 33)), SIGNATURE_TYPE_COSIGNATURE_V1)

origins = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="+"), min_size=1
)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 2**64 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1), max_size=3
    ),
)
def test_checkpoint_text_round_trip(size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint("log.example/test", size, root, tuple(extensions))
    assert Checkpoint.from_text(checkpoint.text()) == checkpoint


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32), st.integers(0, 2**63 - 1))
def test_sign_cosign_verify_round_trip(size: int, root: bytes, timestamp: int) -> None:
    checkpoint = Checkpoint(LOG.name, size, root)
    note = cosign_checkpoint(sign_checkpoint(checkpoint, LOG), WITNESS, timestamp)
    verified = verify_checkpoint(note, LOG.verifier(), [WITNESS.verifier()], quorum=1)
    assert verified.checkpoint == checkpoint
    assert verified.cosignatures[0].timestamp_s == timestamp
    assert SignedNote.from_bytes(note) == SignedNote.from_bytes(bytes(SignedNote.from_bytes(note)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_note_bytes_raise_only_note_errors(data: bytes) -> None:
    try:
        verify_checkpoint(data, LOG.verifier(), [WITNESS.verifier()])
    except ProtocolError as exc:
        assert isinstance(exc, NoteError)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_checkpoints_raise_only_note_errors(data: st.DataObject) -> None:
    note = bytearray(
        cosign_checkpoint(sign_checkpoint(Checkpoint(LOG.name, 7, bytes(32)), LOG), WITNESS, 9)
    )
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(note) - 1))
        note[position] = data.draw(st.integers(0, 255))
    try:
        verify_checkpoint(bytes(note), LOG.verifier(), [WITNESS.verifier()], quorum=1)
    except ProtocolError as exc:
        assert isinstance(exc, NoteError)


@given(st.text(max_size=60))
def test_random_vkeys_raise_only_note_errors(vkey: str) -> None:
    try:
        verifier = NoteVerifier.from_vkey(vkey)
    except ProtocolError as exc:
        assert isinstance(exc, NoteError)
    else:
        assert verifier.vkey.split("+")[0] == vkey.split("+")[0]


def test_consistency_between_checkpoints() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(10))
    old = Checkpoint(LOG.name, 6, tree.root(6))
    new = Checkpoint(LOG.name, 10, tree.root())
    verify_checkpoint_consistency(old, new, tree.consistency_proof(6, 10))
    forked = Checkpoint(LOG.name, 10, leaf_hash(b"another history"))
    with pytest.raises(MerkleError) as info:
        verify_checkpoint_consistency(old, forked, tree.consistency_proof(6, 10))
    assert info.value.code == "merkle_root_mismatch"
    with pytest.raises(NoteError) as note_info:
        verify_checkpoint_consistency(old, Checkpoint("other.example", 10, tree.root()), ())
    assert note_info.value.code == "checkpoint_origin_mismatch"


def test_log_must_sign_under_its_origin() -> None:
    with pytest.raises(NoteError) as info:
        sign_checkpoint(Checkpoint("not-the-key-name", 1, bytes(32)), LOG)
    assert info.value.code == "checkpoint_origin_mismatch"
