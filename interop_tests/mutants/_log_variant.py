"""Pieces of broken export, Merkle and note verifiers, for the mutants of section 4.

Each mutant is the reference adapter with one op changed. Where it can, the change is a
different request handed to the reference code (a proof cut short, the second root replaced
by the first, key IDs rewritten), so the mutant rejects exactly what the reference rejects
except for its one mistake; otherwise it recomputes one value with the mistake in it.
"""

from __future__ import annotations

import base64
import binascii
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import (
    AdapterInputError,
    Handler,
    hex_list_param,
    hex_param,
    int_param,
    text_list_param,
    text_param,
)

EM_DASH_PREFIX = "\u2014 "


# --- Merkle tree ------------------------------------------------------------------------------


def tree_hash_without_leaf_prefix(leaves: list[bytes]) -> bytes:
    """RFC 9162's tree hash, with leaves hashed as SHA-256(data): the 0x00 prefix forgotten."""
    if not leaves:
        return sha256(b"").digest()
    if len(leaves) == 1:
        return sha256(leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = (
        tree_hash_without_leaf_prefix(leaves[:k]),
        tree_hash_without_leaf_prefix(leaves[k:]),
    )
    return sha256(b"\x01" + left + right).digest()


def leaf_hash_without_prefix() -> dict[str, Handler]:
    """leaf_hash, tree_hash and batch_leaf_decode hashing leaves without the 0x00 prefix."""

    def leaf_hash(params: dict[str, Any]) -> dict[str, Any]:
        reference.leaf_hash_op(params)
        return {"leaf_hash": sha256(hex_param(params, "leaf_data")).hexdigest()}

    def tree_hash(params: dict[str, Any]) -> dict[str, Any]:
        reference.tree_hash(params)
        return {"root_hash": tree_hash_without_leaf_prefix(hex_list_param(params, "leaves")).hex()}

    def batch_leaf_decode(params: dict[str, Any]) -> dict[str, Any]:
        result = reference.batch_leaf_decode(params)
        return {**result, "leaf_hash": sha256(hex_param(params, "leaf_data")).hexdigest()}

    return {"leaf_hash": leaf_hash, "tree_hash": tree_hash, "batch_leaf_decode": batch_leaf_decode}


def inclusion_path_length(index: int, size: int) -> int:
    """How many hashes PATH(index, D[size]) holds (LOG-3)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def inclusion_ignoring_trailing_hashes(params: dict[str, Any]) -> dict[str, Any]:
    """inclusion_verify that stops at the root and never looks at the hashes after it."""
    index, size = params.get("leaf_index"), params.get("tree_size")
    proof = params.get("proof")
    if (
        isinstance(index, int)
        and isinstance(size, int)
        and 0 <= index < size
        and isinstance(proof, list)
    ):
        params = {**params, "proof": proof[: inclusion_path_length(index, size)]}
    return reference.inclusion_verify(params)


def consistency_skipping_equal_sizes(params: dict[str, Any]) -> dict[str, Any]:
    """consistency_verify that accepts equal sizes without comparing the two roots."""
    if params.get("size1") == params.get("size2"):
        params = {**params, "root2": params.get("root1")}
    return reference.consistency_verify(params)


# --- Export files -------------------------------------------------------------------------------


def export_without_signature_check(params: dict[str, Any]) -> dict[str, Any]:
    """export_parse that parses the archive and never verifies a signature."""
    export, _ = reference.read_export(params)
    return reference.export_result(export)


def export_checking_first_signature(params: dict[str, Any]) -> dict[str, Any]:
    """export_parse that verifies the first signature with the configured key, whoever made it."""
    export, key = reference.read_export(params)
    if not export.signatures:
        raise AdapterInputError("export.sig holds no signature")
    try:
        public_key = load_der_public_key(key.public_key_der)
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(
            export.signatures[0].signature, export.export_bin, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError, AssertionError) as exc:
        raise AdapterInputError("the first signature does not verify") from exc
    return reference.export_result(export)


# --- Signed notes and checkpoints ---------------------------------------------------------------


def _vkey_parts(vkey: str) -> tuple[str, bytes, int, bytes] | None:
    """name, key ID, type and public key of a well-formed verifier key string, else None."""
    try:
        name, key_id, material = vkey.split("+", 2)
        raw = base64.b64decode(material, validate=True)
        return name, bytes.fromhex(key_id), raw[0], raw[1:]
    except (ValueError, IndexError, binascii.Error):
        return None


def _lines(note: bytes) -> tuple[str, list[str]] | None:
    """The text and signature lines of a note, if it splits as a signed note does."""
    try:
        message = note.decode("utf-8")
    except UnicodeDecodeError:
        return None
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        return None
    return message[: split + 1], message[split + 2 : -1].split("\n")


def _signature(line: str) -> tuple[str, bytes] | None:
    """Key name and raw bytes (key ID, then signature) of a signature line."""
    name, _, b64 = line.removeprefix(EM_DASH_PREFIX).partition(" ")
    try:
        return name, base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        return None


def match_keys_by_name(note: bytes, vkeys: list[str]) -> bytes:
    """The note with each line under a known key's name given that key's ID.

    The reference then treats every line under a known name as that key's: the same as a
    verifier that looks keys up by name alone and ignores the key ID.
    """
    split = _lines(note)
    known = {p[0]: p[1] for p in map(_vkey_parts, vkeys) if p}
    if split is None:
        return note
    text, lines = split
    rewritten = []
    for line in lines:
        parsed = _signature(line)
        if parsed and parsed[0] in known and parsed[1][:4] != known[parsed[0]]:
            raw = known[parsed[0]] + parsed[1][4:]
            line = f"{EM_DASH_PREFIX}{parsed[0]} {base64.b64encode(raw).decode()}"
        rewritten.append(line)
    return (text + "\n" + "\n".join(rewritten) + "\n").encode("utf-8")


def ignoring_key_ids() -> dict[str, Handler]:
    """note_verify and checkpoint_verify matching signature lines to keys by name only."""

    def note_verify(params: dict[str, Any]) -> dict[str, Any]:
        note = match_keys_by_name(
            hex_param(params, "note"), text_list_param(params, "verifier_keys")
        )
        return reference.note_verify({**params, "note": note.hex()})

    def checkpoint_verify(params: dict[str, Any]) -> dict[str, Any]:
        vkeys = [text_param(params, "log_key"), *text_list_param(params, "witness_keys")]
        note = match_keys_by_name(hex_param(params, "note"), vkeys)
        return reference.checkpoint_verify({**params, "note": note.hex()})

    return {"note_verify": note_verify, "checkpoint_verify": checkpoint_verify}


def _cosignature_verifies(text: str, public_key: bytes, signature: bytes) -> bool:
    if len(signature) != 72:
        return False
    timestamp = int.from_bytes(signature[:8], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    try:
        VerifyKey(public_key).verify(message, signature[8:])
    except BadSignatureError:
        return False
    return True


def quorum_counting_lines(params: dict[str, Any]) -> dict[str, Any]:
    """checkpoint_verify that counts valid cosignature lines, not distinct witnesses."""
    result = reference.checkpoint_verify({**params, "quorum": 0})
    quorum = int_param(params, "quorum")
    witnesses = [p for p in map(_vkey_parts, text_list_param(params, "witness_keys")) if p]
    text, lines = _lines(hex_param(params, "note")) or ("", [])
    count = 0
    for line in lines:
        parsed = _signature(line)
        for name, key_id, _, public_key in witnesses:
            if parsed and parsed[0] == name and parsed[1][:4] == key_id:
                count += _cosignature_verifies(text, public_key, parsed[1][4:])
    if count < quorum:
        raise AdapterInputError(f"{count} cosignatures, {quorum} required")
    return result
