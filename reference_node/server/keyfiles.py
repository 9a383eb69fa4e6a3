"""Secrets on disk: the server's log, export and HA API keys, and a witness's key.

The server's are created on first start with fresh randomness, written with mode 0600, and
read back on later starts; public halves are published as ``v1/keys`` (spec SRV-11). A
witness's cosigning key is created once by ``bluezone witness keygen``.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.export import ExportSigner, ExportVerificationKey, SignatureInfo
from bluezone.protocol.note import NoteSigner, NoteVerifier, encode_base64
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519
from bluezone.reference_node.server.errors import BadServerDataError, ConfigError, WitnessKeyError
from bluezone.reference_node.server.files import fsync_directory

LOG_KEY_FILE = "log-signing.key"
EXPORT_KEY_FILE = "export-signing.pem"
HA_API_KEY_FILE = "ha-api.key"
# spec SRV-8, SRV-14: the secret that keys client addresses (and stored digests) by HMAC;
# a file, so that the database alone never lets anyone reverse them.
SERVER_SECRET_FILE = "server-secret.key"
SERVER_SECRET_BYTES = 32
# spec SRV-3: the health authority's API key is at least this many characters.
HA_API_KEY_MIN_CHARS = 16


def _write_secret(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 holding ``data``; raise FileExistsError if it exists.

    The bytes are written and fsynced under a temporary name, then hard-linked to ``path``
    (which never replaces a file), so a crash leaves no half-written key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


def signer_key_text(signer: NoteSigner) -> str:
    """Return "PRIVATE+KEY+name+keyid+base64(0x01 || seed)" (spec LOG-7).

    The key ID is computed with type 0x01 whatever the signer's type, as LOG-7 says; a
    witness's key reads back with ``NoteSigner.from_skey(text, 0x04)``.
    """
    key_id = NoteSigner(signer.name, signer.seed).verifier().key_id
    key64 = encode_base64(bytes([SIGNATURE_TYPE_ED25519]) + signer.seed)
    return f"PRIVATE+KEY+{signer.name}+{key_id:08x}+{key64}"


def load_or_create_log_signer(path: Path, origin: str) -> NoteSigner:
    """Return the log's note signer, creating it named ``origin`` if the file is absent."""
    if not path.exists():
        signer = NoteSigner(origin, secrets.token_bytes(32))
        _write_secret(path, (signer_key_text(signer) + "\n").encode())
    signer = NoteSigner.from_skey(path.read_text().strip())
    if signer.name != origin:
        raise ConfigError("LOG-8: the log key's name differs from the configured origin")
    return signer


def create_witness_signer(path: Path, name: str) -> NoteSigner:
    """Draw a cosignature/v1 key named ``name`` and write it to ``path`` (LOG-9).

    Raises FileExistsError when ``path`` exists (a witness key is never replaced: servers
    and clients are configured with its verifier key) and NoteKeyError for a bad name.
    """
    signer = NoteSigner(name, secrets.token_bytes(32), SIGNATURE_TYPE_COSIGNATURE_V1)
    _write_secret(path, (signer_key_text(signer) + "\n").encode())
    return signer


def load_witness_signer(path: Path) -> NoteSigner:
    """Read a witness's cosignature/v1 key written by ``create_witness_signer``.

    Raises WitnessKeyError when the file cannot be read or holds no signing key.
    """
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessKeyError(f"cannot read the witness key file {path}") from exc
    try:
        return NoteSigner.from_skey(text.strip(), SIGNATURE_TYPE_COSIGNATURE_V1)
    except ProtocolError as exc:
        raise WitnessKeyError(f"{path} is not a witness signing key ({exc.code})") from exc


def load_or_create_export_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Return the P-256 export signing key, creating it if the file is absent (EXP-8)."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_secret(path, pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
        raise ConfigError("EXP-8: the export signing key must be ECDSA P-256")
    return loaded


def export_signer(key: ec.EllipticCurvePrivateKey, key_id: str, key_version: str) -> ExportSigner:
    """Return a signer that signs export.bin with ECDSA P-256 / SHA-256 (spec EXP-8)."""

    def sign(export_bin: bytes) -> bytes:
        return key.sign(export_bin, ec.ECDSA(hashes.SHA256()))

    return ExportSigner(SignatureInfo(key_id, key_version), sign)


def export_verification_key(
    key: ec.EllipticCurvePrivateKey, key_id: str, key_version: str
) -> ExportVerificationKey:
    """Return the public half as clients configure it (spec EXP-7)."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ExportVerificationKey(key_id, key_version, der)


def load_or_create_server_secret(path: Path) -> bytes:
    """Return the server's 32-byte HMAC secret, creating it (mode 0600) if absent.

    Raises ConfigError when the file does not hold 64 hex digits. Every process of one
    deployment must read the same file.
    """
    if not path.exists():
        _write_secret(path, (secrets.token_hex(SERVER_SECRET_BYTES) + "\n").encode())
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except ValueError:
        secret = b""
    if len(secret) != SERVER_SECRET_BYTES:
        raise ConfigError(f"SRV-8: {path.name} must hold {2 * SERVER_SECRET_BYTES} hex digits")
    return secret


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose: HMAC-SHA256(secret, "bluezone-server/" + purpose)."""
    return hmac.digest(secret, f"bluezone-server/{purpose}".encode(), "sha256")


def load_or_create_ha_api_key(path: Path) -> str:
    """Return the health authority's API key, creating a random one if the file is absent."""
    if not path.exists():
        _write_secret(path, (secrets.token_urlsafe(32) + "\n").encode())
    return check_ha_api_key(path.read_text().strip())


def check_ha_api_key(key: str) -> str:
    """Return ``key``; ConfigError if shorter than 16 characters (spec SRV-3).

    Called wherever a key is read: the key file, the environment, a configuration.
    """
    if len(key) < HA_API_KEY_MIN_CHARS:
        raise ConfigError(
            f"SRV-3: the health-authority API key must be at least {HA_API_KEY_MIN_CHARS} "
            f"characters, got {len(key)}"
        )
    return key


class ApiKeyCheck:
    """Checks a presented API key against the configured one in constant time (SRV-3)."""

    __slots__ = ("_digest",)

    def __init__(self, api_key: str) -> None:
        """Keep only the key's SHA-256; ConfigError for a key under 16 characters."""
        self._digest = sha256(check_ha_api_key(api_key).encode()).digest()

    def matches(self, presented: str) -> bool:
        """Return whether ``presented`` is the configured key."""
        return hmac.compare_digest(sha256(presented.encode()).digest(), self._digest)


@dataclass(frozen=True, slots=True)
class ServerKeys:
    """The public keys a client trusts: the log's note key and the export signing key."""

    origin: str
    log: NoteVerifier
    export: ExportVerificationKey
    witnesses: tuple[NoteVerifier, ...] = ()

    def to_json(self) -> bytes:
        """Encode as the ``v1/keys`` document (spec SRV-11)."""
        return json.dumps(
            {
                "origin": self.origin,
                "log_key": self.log.vkey,
                "export_key": {
                    "key_id": self.export.key_id,
                    "key_version": self.export.key_version,
                    "public_key": base64.b64encode(self.export.public_key_der).decode(),
                },
                "witness_keys": [w.vkey for w in self.witnesses],
            },
            indent=1,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ServerKeys:
        """Parse a ``v1/keys`` document strictly; raise BadServerDataError."""
        try:
            value = json.loads(data)
            export = value["export_key"]
            keys = cls(
                value["origin"],
                NoteVerifier.from_vkey(value["log_key"]),
                ExportVerificationKey(
                    _str(export["key_id"]),
                    _str(export["key_version"]),
                    base64.b64decode(_str(export["public_key"]), validate=True),
                ),
                tuple(NoteVerifier.from_vkey(v) for v in value["witness_keys"]),
            )
            keys.export.public_key()
        except (ValueError, KeyError, TypeError, ProtocolError) as exc:
            raise BadServerDataError("SRV-11: the keys document is malformed") from exc
        if keys.log.name != keys.origin:
            raise BadServerDataError("LOG-8: the log key's name differs from the origin")
        return keys


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value
