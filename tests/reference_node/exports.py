"""Signed export files for the node's tests (spec EXP-1..EXP-9)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.export import (
    ExportKey,
    ExportPayload,
    ExportSigner,
    SignatureInfo,
    sign_export,
)
from bluezone.protocol.keys import TemporaryExposureKey


def signing_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The PEM SubjectPublicKeyInfo of ``key``."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def export_bytes(
    keys: Sequence[TemporaryExposureKey],
    key: ec.EllipticCurvePrivateKey,
    *,
    key_id: str = "test",
    key_version: str = "v1",
) -> bytes:
    """A zip export file holding ``keys``, signed by ``key``."""
    payload = ExportPayload(
        start_timestamp=0,
        end_timestamp=2**32,
        region="test",
        keys=tuple(
            ExportKey(
                k.key_data,
                k.rolling_start,
                k.rolling_period,
                report_type=k.report_type,
                days_since_onset_of_symptoms=k.days_since_onset,
            )
            for k in keys
        ),
    )
    signer = ExportSigner(
        SignatureInfo(key_id, key_version), lambda data: key.sign(data, ec.ECDSA(hashes.SHA256()))
    )
    return sign_export(payload, [signer]).to_zip()


def write_export(
    directory: Path,
    name: str,
    keys: Sequence[TemporaryExposureKey],
    key: ec.EllipticCurvePrivateKey,
    **kwargs: str,
) -> Path:
    """Write a signed export file ``name`` into ``directory``; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(export_bytes(keys, key, **kwargs))
    return path
