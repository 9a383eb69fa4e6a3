"""Where the node gets published diagnosis keys from: a small interface and its first source.

`KeySource.fetch()` returns the batches of keys a health authority published, each already
checked (parsed strictly and signature verified), plus the batches it refused and why.
`DirectoryKeySource` reads GAEN export files (``*.zip``, spec EXP-1..EXP-10) from a
directory and verifies them with a trusted public key; `server_source.ServerKeySource`
downloads them from a key server and verifies each through its transparency log. The node
does not care which one it talks to.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization

from bluezone.protocol.errors import ExportSignatureMissingError, ProtocolError
from bluezone.protocol.export import ExportFile, ExportKey, ExportVerificationKey
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.params import MAX_EXPORT_ARCHIVE_BYTES
from bluezone.reference_node.errors import KeySourceError

EXPORT_SUFFIX = ".zip"
# A directory source reads at most this many files per fetch (14 days of hourly batches
# from several regions fit with room to spare); more are refused as too_many_files.
MAX_EXPORT_FILES = 10_000


@dataclass(frozen=True, slots=True)
class PublishedBatch:
    """One verified batch: its id at the source, SHA-256 of its bytes, and its keys."""

    batch_id: str
    digest: bytes
    keys: tuple[TemporaryExposureKey, ...]
    revised_keys: tuple[TemporaryExposureKey, ...] = ()  # spec SRV-25, MATCH-11

    def __repr__(self) -> str:
        return f"PublishedBatch({self.batch_id!r}, {len(self.keys)} keys)"


@dataclass(frozen=True, slots=True)
class RejectedBatch:
    """A batch the source refused, with the error code saying why (never used for matching)."""

    batch_id: str
    code: str


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one fetch returned."""

    batches: tuple[PublishedBatch, ...]
    rejected: tuple[RejectedBatch, ...] = ()


@runtime_checkable
class KeySource(Protocol):
    """A source of published diagnosis keys."""

    async def fetch(self) -> Fetched:
        """Return every batch currently published, verified, and the ones refused."""
        ...


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """The public key export files must be signed with (spec EXP-7, EXP-8).

    ``key_id`` and ``key_version`` select the signatures to check; when None, every
    signature in a file is tried with this key and one must verify.
    """

    public_key_der: bytes
    key_id: str | None = None
    key_version: str | None = None

    @classmethod
    def from_pem(
        cls, pem: bytes, key_id: str | None = None, key_version: str | None = None
    ) -> TrustedKey:
        """Read a PEM public key (SubjectPublicKeyInfo); KeySourceError if it is not P-256."""
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise KeySourceError("the trusted key is not a PEM public key") from exc
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        trusted = cls(der, key_id, key_version)
        try:
            ExportVerificationKey("", "", der).public_key()
        except ProtocolError as exc:
            raise KeySourceError("the trusted key must be an ECDSA P-256 key (EXP-8)") from exc
        return trusted

    def verify(self, export: ExportFile) -> None:
        """Raise an ExportError unless ``export`` carries a valid signature by this key."""
        if self.key_id is not None:
            export.verify(
                ExportVerificationKey(self.key_id, self.key_version or "", self.public_key_der)
            )
            return
        named = {
            (s.signature_info.verification_key_id, s.signature_info.verification_key_version)
            for s in export.signatures
        }
        failure: ProtocolError = ExportSignatureMissingError("EXP-7: the file has no signature")
        for key_id, key_version in sorted(named):
            try:
                export.verify(ExportVerificationKey(key_id, key_version, self.public_key_der))
            except ProtocolError as error:
                failure = error
            else:
                return
        raise failure


def export_keys(keys: Sequence[ExportKey]) -> tuple[TemporaryExposureKey, ...]:
    """The diagnosis keys of an export file as the matching engine takes them (MATCH-1)."""
    return tuple(
        TemporaryExposureKey(
            key.key_data,
            key.rolling_start_interval_number,
            key.rolling_period,
            key.report_type,
            key.days_since_onset_of_symptoms,
        )
        for key in keys
    )


class DirectoryKeySource:
    """Export files in a directory, each verified with one trusted key.

    A file is one batch, named by its file name. Files that fail to parse or verify are
    refused with the spec's error code and their keys are not used. Reading is synchronous:
    export files are small, and the node calls this from its exposure check.
    """

    def __init__(self, directory: str | os.PathLike[str], trusted: TrustedKey) -> None:
        self.directory = Path(directory)
        self.trusted = trusted

    async def fetch(self) -> Fetched:
        """Read, parse and verify every ``*.zip`` file; KeySourceError if unreadable."""
        try:
            paths = sorted(p for p in self.directory.iterdir() if p.suffix == EXPORT_SUFFIX)
        except OSError as exc:
            raise KeySourceError(f"cannot list the key directory: {exc.strerror}") from exc
        batches: list[PublishedBatch] = []
        rejected: list[RejectedBatch] = []
        for index, path in enumerate(paths):
            if index >= MAX_EXPORT_FILES:
                rejected.append(RejectedBatch(path.name, "too_many_files"))
                continue
            outcome = self._read(path)
            (batches if isinstance(outcome, PublishedBatch) else rejected).append(outcome)
        return Fetched(tuple(batches), tuple(rejected))

    def _read(self, path: Path) -> PublishedBatch | RejectedBatch:
        try:
            if path.stat().st_size > MAX_EXPORT_ARCHIVE_BYTES:
                return RejectedBatch(path.name, "export_too_large")
            archive = path.read_bytes()
        except OSError:
            return RejectedBatch(path.name, "unreadable")
        try:
            export = ExportFile.from_zip(archive)
            self.trusted.verify(export)
            keys = export_keys(export.payload.keys)
            revised = export_keys(export.payload.revised_keys)
        except ProtocolError as error:
            return RejectedBatch(path.name, error.code)
        return PublishedBatch(path.name, hashlib.sha256(archive).digest(), keys, revised)
