"""C2SP signed notes with Ed25519 signatures and cosignature/v1 (spec LOG-6, LOG-7, LOG-9).

A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
"— <key name> <base64(4-byte key ID || signature)>". Keys are identified by name and key ID
(SHA-256(name || 0x0A || type || public key)[:4]); signatures from unknown keys are kept but
never trusted. Signing keys are passed in as 32-byte Ed25519 seeds; nothing here draws
randomness (Ed25519 signatures are deterministic).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

from bluezone.protocol.errors import (
    CosignatureTimestampError,
    NoteAmbiguousKeyError,
    NoteBadSignatureError,
    NoteKeyError,
    NoteMalformedError,
    NoteTooLargeError,
    NoteUnverifiedError,
)
from bluezone.protocol.params import (
    COSIGNATURE_TIMESTAMP_BYTES,
    COSIGNATURE_V1_HEADER,
    ED25519_PUBLIC_KEY_LENGTH,
    ED25519_SIGNATURE_LENGTH,
    MAX_COSIGNATURE_TIMESTAMP,
    MAX_NOTE_BYTES,
    MAX_NOTE_SIGNATURES,
    NOTE_KEY_ID_BYTES,
    NOTE_SIGNATURE_PREFIX,
    SIGNATURE_TYPE_COSIGNATURE_V1,
    SIGNATURE_TYPE_ED25519,
)

# spec LOG-7: Unicode White_Space code points, none of which may appear in a key name.
_WHITE_SPACE = frozenset(
    [*map(chr, range(0x09, 0x0E)), " ", "\x85", "\xa0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
_SIGNATURE_TYPES = (SIGNATURE_TYPE_ED25519, SIGNATURE_TYPE_COSIGNATURE_V1)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def is_valid_key_name(name: str) -> bool:
    """Return whether ``name`` is a valid note key name (spec LOG-7).

    Non-empty, no Unicode white space, no plus sign, no control character.
    """
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch in _WHITE_SPACE or ord(ch) < 0x20 or ch == "\x7f" for ch in name)
    )


def decode_base64(text: str) -> bytes:
    """Decode canonical standard base64 (RFC 4648 section 4, padded) or raise ValueError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def encode_base64(raw: bytes) -> str:
    """Encode bytes as standard padded base64."""
    return base64.b64encode(raw).decode("ascii")


def compute_key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """Return the key ID SHA-256(name || 0x0A || type || public key)[:4] as uint32 (LOG-7)."""
    digest = sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:NOTE_KEY_ID_BYTES], "big")


def cosignature_message(text: str, timestamp_s: int) -> bytes:
    """Return the cosignature/v1 signed message for a note text (spec LOG-9)."""
    return COSIGNATURE_V1_HEADER + f"time {timestamp_s}\n".encode("ascii") + text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key ID (uint32) and the signature after the key ID."""

    key_name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """Return the signature line, newline included (spec LOG-6)."""
        raw = self.key_id.to_bytes(NOTE_KEY_ID_BYTES, "big") + self.signature
        return f"{NOTE_SIGNATURE_PREFIX}{self.key_name} {encode_base64(raw)}\n"


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted public key: name, signature type (0x01 Ed25519, 0x04 cosignature/v1), key."""

    name: str
    signature_type: int
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteKeyError("LOG-7: key name is empty or holds a space, plus or control")
        if self.signature_type not in _SIGNATURE_TYPES:
            raise NoteKeyError("LOG-7: unsupported signature type")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise NoteKeyError("LOG-7: Ed25519 public key must be 32 bytes")
        key_id = compute_key_id(self.name, self.signature_type, self.public_key)
        object.__setattr__(self, "key_id", key_id)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key "name+keyid+base64(type || public key)" (spec LOG-7)."""
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise NoteKeyError("LOG-7: verifier key must be name+keyid+key")
        name, hex_id, key64 = parts
        if len(hex_id) != 8 or not set(hex_id) <= _HEX_DIGITS:
            raise NoteKeyError("LOG-7: key ID must be 8 hexadecimal digits")
        try:
            key = decode_base64(key64)
        except ValueError as exc:
            raise NoteKeyError("LOG-7: verifier key material is not base64") from exc
        if not is_valid_key_name(name) or len(key) < 1:
            raise NoteKeyError("LOG-7: malformed verifier key")
        if int(hex_id, 16) != compute_key_id(name, key[0], key[1:]):
            raise NoteKeyError("LOG-7: key ID does not match the name and key")
        if key[0] not in _SIGNATURE_TYPES or len(key) != 1 + ED25519_PUBLIC_KEY_LENGTH:
            raise NoteKeyError("LOG-7: unknown signature type or wrong key length")
        return cls(name, key[0], key[1:])

    @property
    def vkey(self) -> str:
        """The verifier key string "name+keyid+base64(type || public key)"."""
        key64 = encode_base64(bytes([self.signature_type]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{key64}"

    def verify(self, text: str, signature: bytes) -> int | None:
        """Verify a signature over note text; return the cosignature timestamp, if any.

        Raises NoteBadSignatureError when it does not verify (spec LOG-6, LOG-9).
        """
        timestamp = None
        message = text.encode("utf-8")
        if self.signature_type == SIGNATURE_TYPE_COSIGNATURE_V1:
            if len(signature) != COSIGNATURE_TIMESTAMP_BYTES + ED25519_SIGNATURE_LENGTH:
                raise NoteBadSignatureError("LOG-9: cosignature must be 72 bytes")
            timestamp = int.from_bytes(signature[:COSIGNATURE_TIMESTAMP_BYTES], "big")
            if timestamp > MAX_COSIGNATURE_TIMESTAMP:
                raise CosignatureTimestampError("LOG-9: cosignature timestamp above 2**63-1")
            message = cosignature_message(text, timestamp)
            signature = signature[COSIGNATURE_TIMESTAMP_BYTES:]
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            raise NoteBadSignatureError(f"LOG-6: signature from {self.name} is not 64 bytes")
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except (BadSignatureError, CryptoError, ValueError, TypeError) as exc:
            raise NoteBadSignatureError(f"LOG-6: signature from {self.name} fails") from exc
        return timestamp


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A signing key: name, 32-byte Ed25519 seed (passed in) and the signature type."""

    name: str
    seed: bytes = field(repr=False)
    signature_type: int = SIGNATURE_TYPE_ED25519

    def __post_init__(self) -> None:
        if not isinstance(self.seed, bytes) or len(self.seed) != 32:
            raise NoteKeyError("LOG-7: an Ed25519 seed is 32 bytes")
        self.verifier()  # validates name and type

    @classmethod
    def from_skey(cls, skey: str, signature_type: int = SIGNATURE_TYPE_ED25519) -> NoteSigner:
        """Parse "PRIVATE+KEY+name+keyid+base64(0x01 || seed)" (the Go note signer format)."""
        parts = skey.split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteKeyError("LOG-7: signer key must be PRIVATE+KEY+name+keyid+key")
        _, _, name, hex_id, key64 = parts
        try:
            key = decode_base64(key64)
        except ValueError as exc:
            raise NoteKeyError("LOG-7: signer key material is not base64") from exc
        if len(hex_id) != 8 or not set(hex_id) <= _HEX_DIGITS or len(key) != 33:
            raise NoteKeyError("LOG-7: malformed signer key")
        if key[0] != SIGNATURE_TYPE_ED25519:
            raise NoteKeyError("LOG-7: signer key is not an Ed25519 key")
        public_key = bytes(SigningKey(key[1:]).verify_key)
        if int(hex_id, 16) != compute_key_id(name, SIGNATURE_TYPE_ED25519, public_key):
            raise NoteKeyError("LOG-7: key ID does not match the name and key")
        return cls(name, key[1:], signature_type)

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier (public key, same name and type)."""
        return NoteVerifier(self.name, self.signature_type, bytes(SigningKey(self.seed).verify_key))

    def sign(self, text: str, timestamp_s: int | None = None) -> NoteSignature:
        """Sign note text; a cosigner (type 0x04) needs ``timestamp_s`` (spec LOG-6, LOG-9)."""
        _check_text(text)
        key = SigningKey(self.seed)
        verifier = self.verifier()
        if self.signature_type == SIGNATURE_TYPE_COSIGNATURE_V1:
            if (
                not isinstance(timestamp_s, int)
                or isinstance(timestamp_s, bool)
                or not 0 <= timestamp_s <= MAX_COSIGNATURE_TIMESTAMP
            ):
                raise CosignatureTimestampError("LOG-9: timestamp must be in 0..2**63-1")
            message = cosignature_message(text, timestamp_s)
            raw = timestamp_s.to_bytes(COSIGNATURE_TIMESTAMP_BYTES, "big")
            raw += key.sign(message).signature
        else:
            raw = key.sign(text.encode("utf-8")).signature
        return NoteSignature(self.name, verifier.key_id, raw)


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteMalformedError("LOG-6: note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteMalformedError("LOG-6: note text holds a control character")


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __bytes__(self) -> bytes:
        """Serialise as text, blank line, signature lines (spec LOG-6)."""
        _check_text(self.text)
        lines = "".join(sig.line() for sig in self.signatures)
        return (self.text + "\n" + lines).encode("utf-8")

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        """Return a copy with ``signature`` appended, replacing any line of the same key."""
        key = (signature.key_name, signature.key_id)
        kept = tuple(s for s in self.signatures if (s.key_name, s.key_id) != key)
        return SignedNote(self.text, (*kept, signature))

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedNote:
        """Parse a signed note strictly, checking syntax only (spec LOG-6)."""
        if len(data) > MAX_NOTE_BYTES:
            raise NoteTooLargeError(f"LOG-6: note is {len(data)} bytes, over the limit")
        try:
            message = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteMalformedError("LOG-6: note is not valid UTF-8") from exc
        if any(ord(ch) < 0x20 and ch != "\n" for ch in message):
            raise NoteMalformedError("LOG-6: note holds a control character")
        split = message.rfind("\n\n")
        if split < 0:
            raise NoteMalformedError("LOG-6: no blank line before the signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block.endswith("\n"):
            raise NoteMalformedError("LOG-6: signature block must end with a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_NOTE_SIGNATURES:
            raise NoteTooLargeError(f"LOG-6: note has {len(lines)} signatures, over the limit")
        return cls(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(NOTE_SIGNATURE_PREFIX):
        raise NoteMalformedError("LOG-6: signature line does not start with an em dash")
    name, _, b64 = line[len(NOTE_SIGNATURE_PREFIX) :].partition(" ")
    if not is_valid_key_name(name):
        raise NoteMalformedError("LOG-6: signature line has an invalid key name")
    try:
        raw = decode_base64(b64)
    except ValueError as exc:
        raise NoteMalformedError("LOG-6: signature is not canonical base64") from exc
    if len(raw) <= NOTE_KEY_ID_BYTES:
        raise NoteMalformedError("LOG-6: signature shorter than 5 bytes")
    key_id = int.from_bytes(raw[:NOTE_KEY_ID_BYTES], "big")
    return NoteSignature(name, key_id, raw[NOTE_KEY_ID_BYTES:])


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature that verified, with its key and, for a cosignature, its timestamp."""

    verifier: NoteVerifier
    signature: NoteSignature
    timestamp_s: int | None


@dataclass(frozen=True, slots=True)
class OpenedNote:
    """A note whose signatures from known keys all verified; at least one did."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    unverified: tuple[NoteSignature, ...]


def _verifier_map(
    verifiers: Sequence[NoteVerifier],
) -> dict[tuple[str, int], list[NoteVerifier]]:
    known: dict[tuple[str, int], list[NoteVerifier]] = {}
    for verifier in verifiers:
        entries = known.setdefault((verifier.name, verifier.key_id), [])
        if verifier not in entries:
            entries.append(verifier)
    return known


def open_note(data: bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify the signatures of known keys (spec LOG-6).

    Unknown keys (name and key ID not both matching a verifier) are ignored. The first line of
    a known key must verify (else NoteBadSignatureError); later lines of that key are ignored.
    With no verified signature, raises NoteUnverifiedError.
    """
    note = SignedNote.from_bytes(data)
    known = _verifier_map(verifiers)
    verified: list[VerifiedSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for signature in note.signatures:
        key = (signature.key_name, signature.key_id)
        candidates = known.get(key)
        if candidates is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if len(candidates) > 1:
            raise NoteAmbiguousKeyError(f"LOG-7: two keys named {signature.key_name} share an ID")
        if key in seen:
            continue
        seen.add(key)
        timestamp = candidates[0].verify(note.text, signature.signature)
        verified.append(VerifiedSignature(candidates[0], signature, timestamp))
    if not verified:
        raise NoteUnverifiedError("LOG-6: no signature from a known key")
    return OpenedNote(note.text, tuple(verified), tuple(unverified))
