"""Generate spec/vectors/checkpoint.json: signed notes, checkpoints and cosignatures.

External values come from golang.org/x/mod/sumdb/note's tests (Ed25519 note keys and
signatures) and transparency-dev/formats' tests (verifier keys of both types). Generated
cases use Ed25519 keys drawn from the seeded generator; notes are built here with PyNaCl
directly (not with protocol/note.py), so the vectors check the library rather than echo it.
Every key in this file is a test key. Text values (key strings, note texts, names, origins)
are carried as their UTF-8 bytes in lowercase hex, as every string in a vector is.

Usage: python spec/tools/generate_checkpoint_vectors.py --seed 6962
"""

from __future__ import annotations

import argparse
import base64
import random
from hashlib import sha256
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey
from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

GO_NOTE = "golang/mod:sumdb/note/note_test.go@02c991387e35f9e4c0a9b7ce137717055f8d716d"
TD_COSIG = (
    "transparency-dev/formats:note/note_cosigv1_test.go@091ce41666c09683aa9350785e572be27f0c026d"
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZ"
    "b6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TEST_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"

NOTES = {
    "External": "value taken from a public implementation's tests (source names it)",
    "Generated": "keys and notes from the seeded generator",
    "Cosignature": "a cosignature/v1 (signature type 0x04) line is involved",
    "UnknownKey": "a signature whose name and key ID do not both match a known key",
    "BadSignature": "a signature from a known key that does not verify",
    "MalformedNote": "a note that breaks the signed-note syntax",
    "MalformedKey": "a verifier or signer key string that is malformed",
    "WrongKeyId": "a key string whose key ID does not match its name and key",
    "MalformedCheckpoint": "a note text that is not a valid checkpoint body",
    "Limits": "a size or count limit",
    "Quorum": "the witness quorum rule",
    "Timestamp": "a cosignature timestamp rule",
    "Origin": "the origin and log key name rule",
    "AmbiguousKey": "two different keys share a name and key ID",
    "Extension": "checkpoint extension lines",
    "KeyRotation": "a line signed by another key under a known key's name (a retired key)",
}

SPEC_NOTE = ["LOG-6", "LOG-7"]
SPEC_CHECKPOINT = ["LOG-6", "LOG-7", "LOG-8", "LOG-9", "LOG-10"]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    digest = sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


class Key:
    """A test key: name, seed, signature type; signs notes as the spec says, via PyNaCl."""

    def __init__(self, name: str, seed: bytes, signature_type: int = 1) -> None:
        self.name, self.seed, self.type = name, seed, signature_type
        self.public = bytes(SigningKey(seed).verify_key)
        self.id = key_id(name, signature_type, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.id:08x}+{b64(bytes([self.type]) + self.public)}"

    @property
    def skey(self) -> str:
        ed_id = key_id(self.name, 1, self.public)
        material = b64(bytes([1]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{ed_id:08x}+{material}"

    def signature(self, text: str, timestamp: int | None = None) -> bytes:
        signer = SigningKey(self.seed)
        if self.type == 4:
            message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
            return timestamp.to_bytes(8, "big") + signer.sign(message).signature
        return signer.sign(text.encode()).signature

    def line(self, text: str, timestamp: int | None = None, raw: bytes | None = None) -> str:
        body = raw if raw is not None else self.signature(text, timestamp)
        return f"— {self.name} {b64(self.id.to_bytes(4, 'big') + body)}\n"


def typed_vkey(name: str, id_type: int, key_type: int, public: bytes) -> str:
    """A verifier key string whose key ID is computed with ``id_type``."""
    return f"{name}+{key_id(name, id_type, public):08x}+{b64(bytes([key_type]) + public)}"


def checkpoint_text(origin: str, size: int, root: bytes, extensions: tuple[str, ...] = ()) -> str:
    return "".join(f"{line}\n" for line in (origin, str(size), b64(root), *extensions))


def note_hex(text: str, lines: list[str]) -> str:
    return (text + "\n" + "".join(lines)).encode().hex()


def vkey_group(witness: Key) -> Group:
    group = Group("NoteVerifierKey", "verifier key strings name+keyid+base64(key)")
    for vkey, source, flags in (
        (PETER_VKEY, GO_NOTE, ["External"]),
        (ENOCH_VKEY, GO_NOTE, ["External"]),
        (REMORA_VKEY, TD_COSIG, ["External", "Cosignature"]),
        (TEST_VKEY, TD_COSIG, ["External"]),
        (witness.vkey, "generated", ["Generated", "Cosignature"]),
    ):
        name, hex_id, key64 = vkey.split("+", 2)
        raw = base64.b64decode(key64)
        assert int(hex_id, 16) == key_id(name, raw[0], raw[1:])
        expected = {
            "name": text_hex(name),
            "keyId": hex_id,
            "signatureType": raw[0],
            "publicKey": raw[1:].hex(),
        }
        group.add(
            f"verifier key {name}",
            ["LOG-7"],
            flags,
            {"vkey": text_hex(vkey)},
            expected=expected,
            source=source,
        )
    upper = PETER_VKEY.replace("c74f20a3", "C74F20A3")
    group.add(
        "key ID in upper-case hex",
        ["LOG-7"],
        ["Generated"],
        {"vkey": text_hex(upper)},
        expected={
            "name": text_hex("PeterNeumann"),
            "keyId": "c74f20a3",
            "signatureType": 1,
            "publicKey": base64.b64decode(PETER_VKEY.split("+", 2)[2])[1:].hex(),
        },
    )
    bad = [
        (
            "wrong key length, adjusted key ID",
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            GO_NOTE,
            ["External", "MalformedKey"],
        ),
        (
            "unknown algorithm, adjusted key ID",
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            GO_NOTE,
            ["External", "MalformedKey"],
        ),
        ("two parts", "bananas.sigstore.dev+12344556", TD_COSIG, ["External", "MalformedKey"]),
        (
            "key material not base64",
            "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
            TD_COSIG,
            ["External", "MalformedKey"],
        ),
        (
            "short key of an unknown type",
            "rekor.sigstore.dev+12345678+AwEB",
            TD_COSIG,
            ["External", "MalformedKey"],
        ),
        (
            "key ID not hex",
            PETER_VKEY.replace("c74f20a3", "NOT_A_NU"),
            "generated",
            ["MalformedKey"],
        ),
        (
            "key ID of 7 digits",
            PETER_VKEY.replace("c74f20a3", "c74f20a"),
            "generated",
            ["MalformedKey"],
        ),
        ("key ID changed", PETER_VKEY.replace("c74f20a3", "c74f20a4"), "generated", ["WrongKeyId"]),
        (
            "name changed",
            PETER_VKEY.replace("PeterNeumann", "PeterNeumanm"),
            "generated",
            ["WrongKeyId"],
        ),
        ("empty name", PETER_VKEY.replace("PeterNeumann", ""), "generated", ["MalformedKey"]),
        (
            "name with a space",
            "Peter Neumann+c74f20a3+" + PETER_VKEY.split("+", 2)[2],
            "generated",
            ["MalformedKey"],
        ),
        ("prefix cut", PETER_VKEY[:-4], "generated", ["MalformedKey"]),
        ("first byte cut", PETER_VKEY[1:], "generated", ["MalformedKey", "WrongKeyId"]),
        ("trailing text", PETER_VKEY + "=", "generated", ["MalformedKey"]),
        (
            "non-canonical base64",
            PETER_VKEY[:-1] + "X",
            "generated",
            ["MalformedKey", "WrongKeyId"],
        ),
        (
            "a type 0x04 key whose ID was computed with type 0x01",
            typed_vkey(witness.name, 1, 4, witness.public),
            "generated",
            ["WrongKeyId", "Cosignature"],
        ),
        ("empty string", "", "generated", ["MalformedKey"]),
    ]
    for comment, vkey, source, flags in bad:
        group.add(
            comment,
            ["LOG-7"],
            flags,
            {"vkey": text_hex(vkey)},
            error="note_key_invalid",
            source=source,
        )
    return group


def skey_group(log: Key) -> Group:
    group = Group("NoteSignerKey", "signer key strings, checked by their verifier key")
    group.add(
        "Go note signer key",
        ["LOG-7"],
        ["External"],
        {"skey": text_hex(PETER_SKEY)},
        expected={"vkey": text_hex(PETER_VKEY)},
        source=GO_NOTE,
    )
    group.add(
        "generated log key",
        ["LOG-7"],
        ["Generated"],
        {"skey": text_hex(log.skey)},
        expected={"vkey": text_hex(log.vkey)},
    )
    bad = [
        ("missing PRIVATE+KEY prefix", PETER_SKEY[len("PRIVATE+KEY+") :]),
        ("key ID changed", PETER_SKEY.replace("c74f20a3", "c74f20a4")),
        ("name changed", PETER_SKEY.replace("PeterNeumann", "PaulNeumann")),
        ("seed cut", PETER_SKEY[:-4]),
        ("type byte 0x02", PETER_SKEY.replace("+AYEK", "+AoEK")),
    ]
    for comment, skey in bad:
        group.add(
            comment, ["LOG-7"], ["MalformedKey"], {"skey": text_hex(skey)}, error="note_key_invalid"
        )
    return group


def sign_group(log: Key, witness: Key, root: bytes) -> Group:
    group = Group("NoteSign", "Ed25519 is deterministic: signing gives these bytes")
    go_note = GO_TEXT + "\n" + PETER_SIG
    text = checkpoint_text(log.name, 13, root)
    ts = 1_700_000_000
    group.add(
        "Go note signing example",
        SPEC_NOTE,
        ["External"],
        {"skey": text_hex(PETER_SKEY), "signatureType": 1, "text": text_hex(GO_TEXT)},
        expected={"note": text_hex(go_note)},
        source=GO_NOTE,
    )
    group.add(
        "log signs a checkpoint",
        SPEC_CHECKPOINT,
        ["Generated"],
        {"skey": text_hex(log.skey), "signatureType": 1, "text": text_hex(text)},
        expected={"note": note_hex(text, [log.line(text)])},
    )
    group.add(
        "witness cosigns a checkpoint",
        SPEC_CHECKPOINT,
        ["Generated", "Cosignature"],
        {
            "skey": text_hex(witness.skey),
            "signatureType": 4,
            "text": text_hex(text),
            "timestamp": ts,
        },
        expected={"note": note_hex(text, [witness.line(text, ts)])},
    )
    return group


def collide(rng: random.Random, name: str) -> tuple[Key, Key]:
    """Two different Ed25519 keys with the same name and key ID (a 32-bit birthday search)."""
    seen: dict[int, bytes] = {}
    while True:
        seed = rng.randbytes(32)
        key = Key(name, seed)
        if key.id in seen and seen[key.id] != seed:
            return Key(name, seen[key.id]), key
        seen[key.id] = seed


def open_group(rng: random.Random) -> Group:
    group = Group("NoteOpen", "open a note with the listed verifier keys")
    peter_raw = PETER_SIG.split(" ", 2)[2].strip()
    enoch_raw = ENOCH_SIG.split(" ", 2)[2].strip()
    peter_abcd = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    peter_id, enoch_id = "c74f20a3", "af0cfe78"

    def sig(name: str, hex_id: str) -> dict[str, str]:
        return {"name": text_hex(name), "keyId": hex_id}

    def ok(comment, note, keys, verified, unverified, flags, source=GO_NOTE):
        expected = {"text": text_hex(GO_TEXT), "verified": verified, "unverified": unverified}
        group.add(
            comment,
            SPEC_NOTE,
            flags,
            {"note": text_hex(note), "verifierKeys": [text_hex(k) for k in keys]},
            expected=expected,
            source=source,
        )

    def bad(comment, note, keys, error, flags, source=GO_NOTE):
        raw = note if isinstance(note, bytes) else note.encode()
        group.add(
            comment,
            SPEC_NOTE,
            flags,
            {"note": raw.hex(), "verifierKeys": [text_hex(k) for k in keys]},
            error=error,
            source=source,
        )

    base = GO_TEXT + "\n"
    ok(
        "Peter known, Enoch unknown",
        base + PETER_SIG + ENOCH_SIG,
        [PETER_VKEY],
        [sig("PeterNeumann", peter_id)],
        [sig("EnochRoot", enoch_id)],
        ["External", "UnknownKey"],
    )
    ok(
        "both known",
        base + PETER_SIG + ENOCH_SIG,
        [PETER_VKEY, ENOCH_VKEY],
        [sig("PeterNeumann", peter_id), sig("EnochRoot", enoch_id)],
        [],
        ["External"],
    )
    ok(
        "a known key listed twice, unused",
        base + PETER_SIG,
        [ENOCH_VKEY, PETER_VKEY, ENOCH_VKEY],
        [sig("PeterNeumann", peter_id)],
        [],
        ["External"],
    )
    ok(
        "repeated lines: later lines of a verified key and unknown duplicates are dropped",
        base + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd,
        [PETER_VKEY],
        [sig("PeterNeumann", peter_id)],
        [sig("EnochRoot", enoch_id), sig("EnochRoot", enoch_id)],
        ["External", "UnknownKey"],
    )
    bad(
        "no known key",
        base + PETER_SIG + ENOCH_SIG,
        [],
        "note_unverified",
        ["External", "UnknownKey"],
    )
    bad(
        "101 signatures",
        base + PETER_SIG * 101,
        [PETER_VKEY],
        "note_too_large",
        ["External", "Limits"],
    )
    bad(
        "signature of a known key altered",
        base + peter_abcd,
        [PETER_VKEY],
        "note_bad_signature",
        ["External", "BadSignature"],
    )
    bad("text only", GO_TEXT, [PETER_VKEY], "note_malformed", ["External", "MalformedNote"])
    bad(
        "blank line, no signatures",
        base,
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "last signature line without its newline",
        base + PETER_SIG[:-1],
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "control character 0x01",
        "\x01" + base + PETER_SIG,
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "invalid UTF-8 byte 0xff",
        b"\xff" + (base + PETER_SIG).encode(),
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "key name with a space",
        base + "— Bad Name " + peter_raw + "\n",
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "text line after the signatures",
        base + PETER_SIG + "Unexpected line.\n",
        [PETER_VKEY],
        "note_malformed",
        ["External", "MalformedNote"],
    )
    bad(
        "name matches, key ID does not",
        base + PETER_SIG.replace("x08g", "xxxx"),
        [PETER_VKEY],
        "note_unverified",
        ["External", "UnknownKey"],
    )
    bad(
        "key ID matches, name does not",
        base + PETER_SIG.replace("PeterNeumann", "CarmenSandiego"),
        [PETER_VKEY],
        "note_unverified",
        ["External", "UnknownKey"],
    )
    bad(
        "hyphen instead of em dash",
        base + "- PeterNeumann " + peter_raw + "\n",
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "two spaces after the name",
        base + "— PeterNeumann  " + peter_raw + "\n",
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "signature not canonical base64",
        base + PETER_SIG.replace("M=\n", "N=\n"),
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "signature of 4 bytes",
        base + "— PeterNeumann x08gow==\n",
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "key name with a plus",
        base + "— Peter+Neumann " + peter_raw + "\n",
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "carriage return before the newline",
        base + PETER_SIG[:-1] + "\r\n",
        [PETER_VKEY],
        "note_malformed",
        ["MalformedNote"],
        "generated",
    )
    bad(
        "over 64 KiB",
        base.replace("problem", "problem" + "!" * 70_000, 1) + PETER_SIG,
        [PETER_VKEY],
        "note_too_large",
        ["Limits"],
        "generated",
    )
    bad(
        "Enoch's signature under Peter's name and ID",
        base
        + "— PeterNeumann "
        + b64(bytes.fromhex(peter_id) + base64.b64decode(enoch_raw)[4:])
        + "\n",
        [PETER_VKEY],
        "note_bad_signature",
        ["BadSignature"],
        "generated",
    )
    first, second = collide(rng, "collide.example")
    text = "colliding keys\n"
    group.add(
        "two keys share a name and key ID",
        SPEC_NOTE,
        ["Generated", "AmbiguousKey"],
        {
            "note": note_hex(text, [first.line(text)]),
            "verifierKeys": [text_hex(first.vkey), text_hex(second.vkey)],
        },
        error="note_key_ambiguous",
    )
    group.add(
        "unknown key sharing name and ID with a known key fails verification",
        SPEC_NOTE,
        ["Generated", "AmbiguousKey", "BadSignature"],
        {"note": note_hex(text, [second.line(text)]), "verifierKeys": [text_hex(first.vkey)]},
        error="note_bad_signature",
    )
    return group


def checkpoint_group(
    rng: random.Random, log: Key, witnesses: tuple[Key, ...], other_log: Key
) -> Group:
    group = Group(
        "Checkpoint", "verify a signed checkpoint with the log key, witness keys and quorum"
    )
    w1, w2, w3 = witnesses
    root = rng.randbytes(32)
    size = 1234
    text = checkpoint_text(log.name, size, root)
    log_line = log.line(text)
    ts1, ts2, ts3 = 1_700_000_100, 1_700_000_200, 1_700_000_300
    witness_vkeys = [w.vkey for w in witnesses]

    def case(comment, note, quorum, expected, flags, witness_keys=None, log_key=None, now=None):
        inputs = {
            "note": note,
            "logKey": text_hex(log_key or log.vkey),
            "witnessKeys": [
                text_hex(k) for k in (witness_vkeys if witness_keys is None else witness_keys)
            ],
            "quorum": quorum,
        }
        if now is not None:
            inputs["nowS"] = now
        group.add(comment, SPEC_CHECKPOINT, ["Generated", *flags], inputs, expected=expected)

    def body(t: str, size_: int = size, root_: bytes = root, ext=()) -> dict[str, Any]:
        return {
            "origin": text_hex(log.name),
            "treeSize": size_,
            "rootHash": root_.hex(),
            "extensions": [text_hex(line) for line in ext],
            "cosignatures": [],
        }

    def with_cosigs(expected: dict, *pairs: tuple[Key, int]) -> dict:
        expected["cosignatures"] = [{"witness": text_hex(w.name), "timestamp": t} for w, t in pairs]
        return expected

    err = lambda code: {"error": code}  # noqa: E731
    empty_root = sha256(b"").digest()
    empty_text = checkpoint_text(log.name, 0, empty_root)
    ext = ("timestamp 1700000000", "bluezone batch window 2023-11-14")
    ext_text = checkpoint_text(log.name, size, root, ext)
    old_text = checkpoint_text(log.name, size - 1, rng.randbytes(32))
    case("log signature only", note_hex(text, [log_line]), 0, body(text), [])
    case(
        "empty tree",
        note_hex(empty_text, [log.line(empty_text)]),
        0,
        body(empty_text, 0, empty_root),
        [],
    )
    case(
        "extension lines are kept and signed",
        note_hex(ext_text, [log.line(ext_text)]),
        0,
        body(ext_text, ext=ext),
        ["Extension"],
    )
    case(
        "two of three witnesses, quorum 2",
        note_hex(text, [log_line, w1.line(text, ts1), w2.line(text, ts2)]),
        2,
        with_cosigs(body(text), (w1, ts1), (w2, ts2)),
        ["Cosignature", "Quorum"],
    )
    case(
        "unknown witness ignored",
        note_hex(text, [log_line, other_log.line(text), w3.line(text, ts3)]),
        1,
        with_cosigs(body(text), (w3, ts3)),
        ["Cosignature", "UnknownKey"],
    )
    case(
        "cosignature timestamp equal to now",
        note_hex(text, [log_line, w1.line(text, ts1)]),
        1,
        with_cosigs(body(text), (w1, ts1)),
        ["Cosignature", "Timestamp"],
        now=ts1,
    )
    case(
        "quorum not met",
        note_hex(text, [log_line, w1.line(text, ts1)]),
        2,
        err("witness_quorum_not_met"),
        ["Cosignature", "Quorum"],
    )
    case(
        "the same witness twice counts once",
        note_hex(text, [log_line, w1.line(text, ts1), w1.line(text, ts2)]),
        2,
        err("witness_quorum_not_met"),
        ["Cosignature", "Quorum"],
    )
    case(
        "cosignature in the future",
        note_hex(text, [log_line, w1.line(text, ts1)]),
        1,
        err("cosignature_bad_timestamp"),
        ["Cosignature", "Timestamp"],
        now=ts1 - 1,
    )
    case(
        "cosignature timestamp above 2**63-1",
        note_hex(
            text,
            [
                log_line,
                w1.line(text, raw=(2**63).to_bytes(8, "big") + w1.signature(text, ts1)[8:]),
            ],
        ),
        1,
        err("cosignature_bad_timestamp"),
        ["Cosignature", "Timestamp"],
    )
    case(
        "cosignature timestamp altered",
        note_hex(
            text,
            [
                log_line,
                w1.line(text, raw=(ts1 + 1).to_bytes(8, "big") + w1.signature(text, ts1)[8:]),
            ],
        ),
        1,
        err("note_bad_signature"),
        ["Cosignature", "BadSignature"],
    )
    case(
        "cosignature without its timestamp",
        note_hex(text, [log_line, w1.line(text, raw=w1.signature(text, ts1)[8:])]),
        1,
        err("note_bad_signature"),
        ["Cosignature", "BadSignature"],
    )
    case(
        "cosignature copied from an older checkpoint",
        note_hex(text, [log_line, w1.line(text, raw=w1.signature(old_text, ts1))]),
        1,
        err("note_bad_signature"),
        ["Cosignature", "BadSignature"],
    )
    case(
        "forged log signature (bit flipped)",
        note_hex(
            text,
            [log.line(text, raw=bytes([log.signature(text)[0] ^ 1]) + log.signature(text)[1:])],
        ),
        0,
        err("note_bad_signature"),
        ["BadSignature"],
    )
    case(
        "signed by another key of the same name",
        note_hex(text, [Key(log.name, rng.randbytes(32)).line(text)]),
        0,
        err("note_unverified"),
        ["UnknownKey"],
    )
    case(
        "witnesses only, no log signature",
        note_hex(text, [w1.line(text, ts1), w2.line(text, ts2)]),
        0,
        err("checkpoint_log_signature_missing"),
        ["Cosignature"],
    )
    case(
        "origin differs from the log's key name",
        note_hex(
            checkpoint_text("other.example/log", size, root),
            [log.line(checkpoint_text("other.example/log", size, root))],
        ),
        0,
        err("checkpoint_origin_mismatch"),
        ["Origin"],
    )
    case(
        "log key given as a cosignature key",
        note_hex(text, [log_line]),
        0,
        err("note_key_invalid"),
        ["Cosignature"],
        log_key=typed_vkey(log.name, 4, 4, log.public),
    )
    case(
        "witness key given as an Ed25519 note key",
        note_hex(text, [log_line]),
        0,
        err("note_key_invalid"),
        ["Cosignature"],
        witness_keys=[Key(w1.name, w1.seed).vkey],
    )
    malformed = [
        ("two lines", f"{log.name}\n{size}\n"),
        ("size with a leading zero", f"{log.name}\n0{size}\n{b64(root)}\n"),
        ("negative size", f"{log.name}\n-1\n{b64(root)}\n"),
        ("size with a plus sign", f"{log.name}\n+{size}\n{b64(root)}\n"),
        ("size 2**64", f"{log.name}\n{2**64}\n{b64(root)}\n"),
        ("size in full-width digits", f"{log.name}\n\uff11\uff12\n{b64(root)}\n"),
        ("root hash of 31 bytes", f"{log.name}\n{size}\n{b64(root[:31])}\n"),
        ("root hash not canonical base64", f"{log.name}\n{size}\n{b64(root)[:-2]}R=\n"),
        ("root hash in hex", f"{log.name}\n{size}\n{root.hex()}\n"),
        ("empty extension line", f"{log.name}\n{size}\n{b64(root)}\n\nextension\n"),
        ("size line with a trailing space", f"{log.name}\n{size} \n{b64(root)}\n"),
    ]
    for comment, bad_text in malformed:
        case(
            comment,
            note_hex(bad_text, [log.line(bad_text)]),
            0,
            err("checkpoint_malformed"),
            ["MalformedCheckpoint"],
        )
    # After a key rotation a note may carry a line of the retired key under the same name:
    # it is an unknown key (LOG-6), ignored wherever it stands, never checked against the
    # known key of that name.
    retired_log = Key(log.name, rng.randbytes(32))
    retired_witness = Key(w1.name, rng.randbytes(32), 4)
    case(
        "a retired log key's line under the log's name comes first",
        note_hex(text, [retired_log.line(text), log_line]),
        0,
        body(text),
        ["UnknownKey", "KeyRotation"],
    )
    case(
        "a retired witness key's cosignature is not counted",
        note_hex(text, [log_line, retired_witness.line(text, ts1), w2.line(text, ts2)]),
        1,
        with_cosigs(body(text), (w2, ts2)),
        ["Cosignature", "UnknownKey", "KeyRotation"],
    )
    case(
        "only a retired witness key cosigned",
        note_hex(text, [log_line, retired_witness.line(text, ts1)]),
        1,
        err("witness_quorum_not_met"),
        ["Cosignature", "Quorum", "KeyRotation"],
    )
    return group


def build(seed: int) -> list[Group]:
    rng = random.Random(seed)
    log = Key("bluezone.example/log", rng.randbytes(32))
    witnesses = tuple(Key(f"witness{i}.example", rng.randbytes(32), 4) for i in (1, 2, 3))
    other_log = Key("elsewhere.example/log", rng.randbytes(32))
    return [
        vkey_group(witnesses[0]),
        skey_group(log),
        sign_group(log, witnesses[0], rng.randbytes(32)),
        open_group(rng),
        checkpoint_group(rng, log, witnesses, other_log),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=6962)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "checkpoint.json",
        "C2SP signed notes (Ed25519), tlog checkpoints and cosignature/v1",
        f"spec/tools/generate_checkpoint_vectors.py --seed {args.seed}",
        NOTES,
        build(args.seed),
    )


if __name__ == "__main__":
    main()
