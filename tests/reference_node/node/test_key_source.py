"""Published keys from a directory of signed export files (spec EXP-1..EXP-10, MATCH-1)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.reference_node.errors import KeySourceError
from bluezone.reference_node.node.key_source import (
    DirectoryKeySource,
    Fetched,
    KeySource,
    TrustedKey,
)
from tests.reference_node.exports import export_bytes, public_pem, signing_key, write_export

KEYS = (
    TemporaryExposureKey(bytes(range(16)), 2_940_624, 144, 1, 0),
    TemporaryExposureKey(bytes(range(1, 17)), 2_940_480, 100),
)


def fetch(source: DirectoryKeySource) -> Fetched:
    return asyncio.run(source.fetch())


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return signing_key()


def test_a_signed_file_gives_its_keys(tmp_path: Path, key):
    path = write_export(tmp_path, "batch-1.zip", KEYS, key)
    source = DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key)))
    assert isinstance(source, KeySource)
    fetched = fetch(source)
    (batch,) = fetched.batches
    assert batch.batch_id == "batch-1.zip"
    assert batch.digest == hashlib.sha256(path.read_bytes()).digest()
    assert batch.keys == KEYS
    assert fetched.rejected == ()
    assert "key_data" not in repr(batch) and KEYS[0].key_data.hex() not in repr(batch)


def test_files_are_read_in_name_order_and_other_files_ignored(tmp_path: Path, key):
    write_export(tmp_path, "b.zip", KEYS[1:], key)
    write_export(tmp_path, "a.zip", KEYS[:1], key)
    (tmp_path / "notes.txt").write_text("not an export")
    source = DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key)))
    assert [b.batch_id for b in fetch(source).batches] == ["a.zip", "b.zip"]


def test_a_file_signed_by_another_key_is_refused(tmp_path: Path, key):
    write_export(tmp_path, "good.zip", KEYS, key)
    write_export(tmp_path, "forged.zip", KEYS, signing_key())
    fetched = fetch(DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key))))
    assert [b.batch_id for b in fetched.batches] == ["good.zip"]
    assert [(r.batch_id, r.code) for r in fetched.rejected] == [
        ("forged.zip", "export_bad_signature")
    ]


def test_a_named_key_id_selects_the_signatures(tmp_path: Path, key):
    write_export(tmp_path, "a.zip", KEYS, key, key_id="health", key_version="v2")
    trusted = TrustedKey.from_pem(public_pem(key), "health", "v2")
    assert len(fetch(DirectoryKeySource(tmp_path, trusted)).batches) == 1
    other = TrustedKey.from_pem(public_pem(key), "someone-else", "v2")
    (rejected,) = fetch(DirectoryKeySource(tmp_path, other)).rejected
    assert rejected.code == "export_signature_missing"


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"not a zip", "export_bad_archive"), (b"", "export_bad_archive")],
)
def test_malformed_files_are_refused_with_their_code(tmp_path: Path, key, content, code):
    (tmp_path / "bad.zip").write_bytes(content)
    fetched = fetch(DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key))))
    assert fetched.batches == ()
    assert [r.code for r in fetched.rejected] == [code]


def test_an_oversized_file_is_refused_unread(tmp_path: Path, key, monkeypatch):
    write_export(tmp_path, "big.zip", KEYS, key)
    monkeypatch.setattr("bluezone.reference_node.node.key_source.MAX_EXPORT_ARCHIVE_BYTES", 10)
    fetched = fetch(DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key))))
    assert [r.code for r in fetched.rejected] == ["export_too_large"]


def test_a_missing_directory_is_a_key_source_error(tmp_path: Path, key):
    source = DirectoryKeySource(tmp_path / "nowhere", TrustedKey.from_pem(public_pem(key)))
    with pytest.raises(KeySourceError):
        fetch(source)


def test_the_trusted_key_must_be_a_p256_pem_key():
    with pytest.raises(KeySourceError):
        TrustedKey.from_pem(b"-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n")
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeySourceError):
        TrustedKey.from_pem(pem)


def test_export_bytes_round_trip_through_a_source(tmp_path: Path, key):
    (tmp_path / "x.zip").write_bytes(export_bytes(KEYS, key))
    fetched = fetch(DirectoryKeySource(tmp_path, TrustedKey.from_pem(public_pem(key))))
    assert fetched.batches[0].keys[0].days_since_onset == 0
