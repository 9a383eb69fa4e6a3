"""Generate spec/vectors/export.json: GAEN export archives, valid and hostile.

Valid cases are the two real export files in spec/vectors/export/ (expected fields from their
publishers' data) and archives signed here with a P-256 key derived from the seed, using
deterministic ECDSA (RFC 6979) so the output is reproducible. Invalid cases are built with the
generated protobuf code and the zip module, then patched byte by byte where a hostile archive
needs it; each names the error the EXP rules assign.

Usage: python spec/tools/generate_export_vectors.py --seed 2020
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import random
import sys
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bluezone.protocol import _export_pb2 as pb

HEADER = b"EK Export v1    "
ECDSA_P256_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_P256_SHA512 = "1.2.840.10045.4.3.4"
SERVER = "google/exposure-notifications-server:examples/export/testExport-2-records-1-of-1.zip"
SERVER_SOURCE = f"{SERVER}@2041f77a0bda55a67214d23dc18f26b3ab895fd1"
INTERNALS = (
    "google/exposure-notifications-internals:app/src/main/res/raw/sample_diagnosis_key_file.zip"
)
INTERNALS_SOURCE = f"{INTERNALS}@aaada6ce5cad0ea1493930591557f8053ef4f113"
SERVER_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEml59itec9qzwVojreLXdPNRsUWzf\n"
    "YHc1cKvIIi6/H56AJS/kZEYQnfDpxrgyGhdAm+pNN2GAJ3XdnQZ1Sk4amg==\n"
    "-----END PUBLIC KEY-----\n"
)
INTERNALS_SPKI_B64 = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE49JY6kekDgxj3Crm4y6kEHdfoKQFSNDM4mV9cgDb+e5nOAw0GeRo"
    "RThCu9/wX5wDT2QloFoOjl2pGZHI0f3C3w=="
)
MIB = 1024 * 1024

NOTES = {
    "RealFile": "an export file published by Google, with its real signature",
    "Generated": "archive built by the seeded generator",
    "Archive": "zip structure: not a zip, corrupt, encrypted or unsupported compression",
    "Entries": "entry names and count",
    "ZipBomb": "declared or real uncompressed size above a limit",
    "Header": "the 16-byte export.bin header",
    "Protobuf": "protobuf wire format or string encoding",
    "KeyField": "a diagnosis key field out of range or missing",
    "ExportField": "an export or signature field out of range or missing",
    "Signature": "signature verification",
    "Algorithm": "the signature algorithm identifier",
    "Deflate": "entries compressed with deflate, as GAEN servers write them",
    "Forward": "unknown protobuf fields, which readers ignore",
    "Defaults": "protobuf fields left out, read with their defaults",
}


def spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def verification_key(key_id: str, version: str, der: bytes) -> dict[str, str]:
    """A client's configured export key: ID and version (UTF-8 hex) and SPKI DER."""
    return {"keyId": text_hex(key_id), "keyVersion": text_hex(version), "publicKeyDer": der.hex()}


def zip_entries(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.create_system = 0
            zf.writestr(info, data, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None)
    return buffer.getvalue()


def patch_headers(archive: bytes, name: bytes, **fields: int) -> bytes:
    """Patch method, flags or uncompressed size of entry ``name`` in both zip headers."""
    data = bytearray(archive)
    local = {"flags": 6, "method": 8, "size": 22}
    central = {"flags": 8, "method": 10, "size": 24}
    for signature, offsets, name_at in ((b"PK\x03\x04", local, 30), (b"PK\x01\x02", central, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(name)] == name:
                for field, value in fields.items():
                    width = 4 if field == "size" else 2
                    at = start + offsets[field]
                    data[at : at + width] = value.to_bytes(width, "little")
            start += 4
    return bytes(data)


class Builder:
    """Builds export.bin / export.sig messages and signs them with test keys."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.key = ec.derive_private_key(rng.getrandbits(255) + 1, ec.SECP256R1())
        self.other = ec.derive_private_key(rng.getrandbits(255) + 1, ec.SECP256R1())
        self.info = {"key_id": "bluezone-test", "key_version": "v1"}

    def verification_key(self) -> dict[str, str]:
        return verification_key(
            self.info["key_id"], self.info["key_version"], spki(self.key.public_key())
        )

    def export(self, n_keys: int = 2, **overrides: Any) -> pb.TemporaryExposureKeyExport:
        message = pb.TemporaryExposureKeyExport(
            start_timestamp=1_700_000_000,
            end_timestamp=1_700_003_600,
            region="VN",
            batch_num=1,
            batch_size=1,
        )
        info = message.signature_infos.add()
        info.verification_key_id = self.info["key_id"]
        info.verification_key_version = self.info["key_version"]
        info.signature_algorithm = ECDSA_P256_SHA256
        for i in range(n_keys):
            key = message.keys.add()
            key.key_data = self.rng.randbytes(16)
            key.rolling_start_interval_number = 2_833_200 + 144 * i
            key.rolling_period = 144
            key.report_type = 1
            key.days_since_onset_of_symptoms = i
        for name, value in overrides.items():
            setattr(message, name, value)
        return message

    def sign(self, data: bytes, key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
        signer = key or self.key
        return signer.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))

    def signature_list(
        self,
        export_bin: bytes,
        algorithm: str = ECDSA_P256_SHA256,
        signature: bytes | None = None,
        key_id: str | None = None,
        batch_num: int = 1,
    ) -> bytes:
        message = pb.TEKSignatureList()
        entry = message.signatures.add()
        entry.signature_info.verification_key_id = key_id or self.info["key_id"]
        entry.signature_info.verification_key_version = self.info["key_version"]
        entry.signature_info.signature_algorithm = algorithm
        entry.batch_num = batch_num
        entry.batch_size = 1
        entry.signature = self.sign(export_bin) if signature is None else signature
        return message.SerializeToString(deterministic=True)

    def archive(
        self, message: pb.TemporaryExposureKeyExport | bytes, method: int = zipfile.ZIP_STORED
    ) -> tuple[bytes, bytes]:
        body = message if isinstance(message, bytes) else message.SerializeToString()
        export_bin = HEADER + body
        entries = [("export.bin", export_bin), ("export.sig", self.signature_list(export_bin))]
        return zip_entries(entries, method), export_bin


def describe(message: pb.TemporaryExposureKeyExport, export_bin: bytes) -> dict[str, Any]:
    """The expected parse of an export built here (defaults as the EXP rules state)."""

    def key(k: pb.TemporaryExposureKey) -> dict[str, Any]:
        return {
            "keyData": k.key_data.hex(),
            "rollingStartIntervalNumber": k.rolling_start_interval_number,
            "rollingPeriod": k.rolling_period,
            "transmissionRiskLevel": k.transmission_risk_level
            if k.HasField("transmission_risk_level")
            else None,
            "reportType": k.report_type if k.HasField("report_type") else None,
            "daysSinceOnsetOfSymptoms": k.days_since_onset_of_symptoms
            if k.HasField("days_since_onset_of_symptoms")
            else None,
        }

    return {
        "exportBinSha256": hashlib.sha256(export_bin).hexdigest(),
        "startTimestamp": message.start_timestamp,
        "endTimestamp": message.end_timestamp,
        "region": text_hex(message.region),
        "batchNum": message.batch_num if message.HasField("batch_num") else 1,
        "batchSize": message.batch_size if message.HasField("batch_size") else 1,
        "signatureInfos": [
            {
                "verificationKeyId": text_hex(i.verification_key_id),
                "verificationKeyVersion": text_hex(i.verification_key_version),
                "signatureAlgorithm": text_hex(i.signature_algorithm),
            }
            for i in message.signature_infos
        ],
        "keyCount": len(message.keys),
        "keys": [key(k) for k in message.keys],
        "revisedKeys": [key(k) for k in message.revised_keys],
    }


def real_file_group() -> Group:
    server_der = spki(serialization.load_pem_public_key(SERVER_PEM.encode()))
    internals_der = base64.b64decode(INTERNALS_SPKI_B64)
    group = Group("ExportFile", "real GAEN export files, verified with their keys")
    for path, source, key_id, version, der in (
        ("export/testExport-2-records-1-of-1.zip", SERVER_SOURCE, "some_id", "1", server_der),
        ("export/sample_diagnosis_key_file.zip", INTERNALS_SOURCE, "310", "v1", internals_der),
    ):
        archive = (VECTORS_DIR / path).read_bytes()
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            export_bin = zf.read("export.bin")
        message = pb.TemporaryExposureKeyExport()
        message.ParseFromString(export_bin[16:])
        expected = describe(message, export_bin)
        if expected["keyCount"] > 10:
            del expected["keys"]
        inputs = {
            "archive": archive.hex(),
            "verificationKey": verification_key(key_id, version, der),
        }
        group.add(
            f"real export file {path}",
            EXP_ALL,
            ["RealFile", "Deflate"],
            inputs,
            expected=expected,
            source=source,
        )
    swapped = [
        (
            "testExport file checked with the 310-v1 key under its own key ID",
            "export/testExport-2-records-1-of-1.zip",
            SERVER_SOURCE,
            "some_id",
            "1",
            internals_der,
            "export_bad_signature",
        ),
        (
            "sample file checked with the server example key under its own key ID",
            "export/sample_diagnosis_key_file.zip",
            INTERNALS_SOURCE,
            "310",
            "v1",
            server_der,
            "export_bad_signature",
        ),
        (
            "sample file checked for key ID some_id",
            "export/sample_diagnosis_key_file.zip",
            INTERNALS_SOURCE,
            "some_id",
            "1",
            server_der,
            "export_signature_missing",
        ),
    ]
    for comment, path, source, key_id, version, der, error in swapped:
        archive = (VECTORS_DIR / path).read_bytes()
        inputs = {
            "archive": archive.hex(),
            "verificationKey": verification_key(key_id, version, der),
        }
        group.add(
            comment,
            ["EXP-7", "EXP-8"],
            ["RealFile", "Signature"],
            inputs,
            error=error,
            source=source,
        )
    return group


EXP_ALL = ["EXP-1", "EXP-2", "EXP-3", "EXP-4", "EXP-5", "EXP-6", "EXP-7", "EXP-8"]


def generated_valid(b: Builder) -> Group:
    group = Group("ExportFile", "archives signed with the generated test key")

    def add(comment, message, flags, method=zipfile.ZIP_STORED):
        archive, export_bin = b.archive(message, method)
        inputs = {"archive": archive.hex(), "verificationKey": b.verification_key()}
        group.add(
            comment, EXP_ALL, ["Generated", *flags], inputs, expected=describe(message, export_bin)
        )

    add("two keys, stored", b.export(2), [])
    add("two keys, deflate", b.export(2), ["Deflate"], zipfile.ZIP_DEFLATED)
    add("no keys", b.export(0), [])
    revised = b.export(1)
    extra = revised.revised_keys.add()
    extra.key_data = b.rng.randbytes(16)
    extra.rolling_start_interval_number = 2_833_056
    extra.rolling_period = 144
    extra.report_type = 5
    add("a revoked key in revised_keys", revised, [])
    bounds = b.export(0)
    for period, start, trl, report, onset in ((1, 0, 0, 0, -14), (144, 2**31 - 1, 8, 5, 14)):
        key = bounds.keys.add()
        key.key_data = b.rng.randbytes(16)
        key.rolling_start_interval_number = start
        key.rolling_period = period
        key.transmission_risk_level = trl
        key.report_type = report
        key.days_since_onset_of_symptoms = onset
    add("every key field at its bounds", bounds, [])
    defaults = b.export(1)
    defaults.keys[0].ClearField("rolling_period")
    defaults.ClearField("batch_num")
    defaults.ClearField("batch_size")
    add("rolling period and batch numbers left out", defaults, ["Defaults"])
    unknown = b.export(1).SerializeToString() + b"\xf8\x07\x01"  # field 127, varint 1
    archive, export_bin = b.archive(unknown)
    message = pb.TemporaryExposureKeyExport()
    message.ParseFromString(unknown)
    inputs = {"archive": archive.hex(), "verificationKey": b.verification_key()}
    group.add(
        "unknown field 127 is ignored",
        EXP_ALL,
        ["Generated", "Forward"],
        inputs,
        expected=describe(message, export_bin),
    )
    two = b.export(1)
    export_bin = HEADER + two.SerializeToString()
    sigs = pb.TEKSignatureList()
    sigs.ParseFromString(
        b.signature_list(export_bin, key_id="someone-else", signature=b.sign(export_bin, b.other))
    )
    sigs.MergeFromString(b.signature_list(export_bin))
    archive = zip_entries(
        [("export.bin", export_bin), ("export.sig", sigs.SerializeToString(deterministic=True))]
    )
    inputs = {"archive": archive.hex(), "verificationKey": b.verification_key()}
    group.add(
        "two signatures, ours second",
        EXP_ALL,
        ["Generated", "Signature"],
        inputs,
        expected=describe(two, export_bin),
    )
    return group


def generated_invalid(b: Builder) -> Group:
    vk = b.verification_key()
    good, export_bin = b.archive(b.export(2))
    sig = b.signature_list(export_bin)
    group = Group("ExportFile", "hostile and malformed archives")

    def add(comment, spec, archive, error, flags, key=vk):
        inputs: dict[str, Any] = {"archive": archive.hex()}
        if key is not None:
            inputs["verificationKey"] = key
        group.add(comment, spec, ["Generated", *flags], inputs, error=error)

    # Zip structure (EXP-1).
    add("empty input", ["EXP-1"], b"", "export_bad_archive", ["Archive"])
    add("random bytes", ["EXP-1"], b.rng.randbytes(64), "export_bad_archive", ["Archive"])
    add("archive cut in half", ["EXP-1"], good[: len(good) // 2], "export_bad_archive", ["Archive"])
    corrupt = bytearray(good)
    corrupt[good.find(HEADER) + 20] ^= 0xFF
    add(
        "export.bin byte changed under its CRC-32",
        ["EXP-1"],
        bytes(corrupt),
        "export_bad_archive",
        ["Archive"],
    )
    add(
        "encrypted flag set",
        ["EXP-1"],
        patch_headers(good, b"export.bin", flags=1),
        "export_bad_archive",
        ["Archive"],
    )
    add(
        "compression method 12 (bzip2)",
        ["EXP-1"],
        patch_headers(good, b"export.bin", method=12),
        "export_bad_archive",
        ["Archive"],
    )
    # Entries (EXP-1).
    add(
        "three entries",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin), ("export.sig", sig), ("extra.txt", b"x")]),
        "export_too_many_entries",
        ["Entries"],
    )
    add(
        "export.bin twice",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin), ("export.bin", export_bin)]),
        "export_duplicate_entry",
        ["Entries"],
    )
    add(
        "export.bin and readme.txt",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin), ("readme.txt", sig)]),
        "export_unexpected_entry",
        ["Entries"],
    )
    add(
        "export.bin and EXPORT.SIG",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin), ("EXPORT.SIG", sig)]),
        "export_unexpected_entry",
        ["Entries"],
    )
    add(
        "export.sig in a folder",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin), ("keys/export.sig", sig)]),
        "export_unexpected_entry",
        ["Entries"],
    )
    add(
        "export.bin only",
        ["EXP-1"],
        zip_entries([("export.bin", export_bin)]),
        "export_missing_entry",
        ["Entries"],
    )
    add(
        "export.sig only",
        ["EXP-1"],
        zip_entries([("export.sig", sig)]),
        "export_missing_entry",
        ["Entries"],
    )
    add("no entries", ["EXP-1"], zip_entries([]), "export_missing_entry", ["Entries"])
    # Size limits (EXP-3).
    add(
        "export.bin declares 16 MiB + 1 bytes",
        ["EXP-3"],
        patch_headers(good, b"export.bin", size=16 * MIB + 1),
        "export_too_large",
        ["ZipBomb"],
    )
    bomb = zip_entries(
        [("export.bin", HEADER + bytes(16 * MIB)), ("export.sig", sig)], zipfile.ZIP_DEFLATED
    )
    add(
        "deflate bomb: export.bin of 16 MiB + 16 bytes",
        ["EXP-3"],
        bomb,
        "export_too_large",
        ["ZipBomb", "Deflate"],
    )
    sig_bomb = zip_entries(
        [("export.bin", export_bin), ("export.sig", bytes(64 * 1024 + 1))], zipfile.ZIP_DEFLATED
    )
    add(
        "deflate bomb: export.sig of 64 KiB + 1",
        ["EXP-3"],
        sig_bomb,
        "export_too_large",
        ["ZipBomb", "Deflate"],
    )
    # Header (EXP-2).
    body = b.export(1).SerializeToString()
    for comment, header in (
        ("header version 2", b"EK Export v2    "),
        ("header zero-padded", b"EK Export v1\x00\x00\x00\x00"),
        ("header missing", b""),
        ("header cut to 15 bytes", HEADER[:15]),
    ):
        data = header + body
        add(
            comment,
            ["EXP-2"],
            zip_entries([("export.bin", data), ("export.sig", b.signature_list(data))]),
            "export_bad_header",
            ["Header"],
        )
    # Protobuf (EXP-4).
    for comment, raw in (
        ("truncated varint", body + b"\x20"),
        ("length past the end", body + b"\x3a\x7f\x0a"),
        ("region not UTF-8", body + b"\x1a\x02\xff\xfe"),
        ("end group without start", body + b"\x0c"),
    ):
        archive, _ = b.archive(raw)
        add(comment, ["EXP-4"], archive, "export_bad_protobuf", ["Protobuf"])
    add(
        "export.sig is not a protobuf",
        ["EXP-4", "EXP-6"],
        zip_entries([("export.bin", export_bin), ("export.sig", b"\xff\xff\xff")]),
        "export_bad_protobuf",
        ["Protobuf"],
    )
    # Key fields (EXP-5).
    key_cases = [
        ("key data of 15 bytes", {"key_data": bytes(15)}, "invalid_key"),
        ("key data of 17 bytes", {"key_data": bytes(17)}, "invalid_key"),
        ("key data missing", {"key_data": None}, "invalid_key"),
        ("rolling period 0", {"rolling_period": 0}, "invalid_rolling_period"),
        ("rolling period 145", {"rolling_period": 145}, "invalid_rolling_period"),
        ("rolling period -1", {"rolling_period": -1}, "invalid_rolling_period"),
        ("rolling start -1", {"rolling_start_interval_number": -1}, "invalid_interval"),
        ("rolling start missing", {"rolling_start_interval_number": None}, "export_invalid_field"),
        ("report type 6", {"report_type": 6}, "export_invalid_field"),
        ("report type -1", {"report_type": -1}, "export_invalid_field"),
        ("days since onset 15", {"days_since_onset_of_symptoms": 15}, "export_invalid_field"),
        ("days since onset -15", {"days_since_onset_of_symptoms": -15}, "export_invalid_field"),
        ("transmission risk level 9", {"transmission_risk_level": 9}, "export_invalid_field"),
    ]
    for comment, changes, error in key_cases:
        message = b.export(2)
        for field, value in changes.items():
            if value is None:
                message.keys[1].ClearField(field)
            else:
                setattr(message.keys[1], field, value)
        archive, _ = b.archive(message)
        add(f"second key: {comment}", ["EXP-5"], archive, error, ["KeyField"])
    revised = b.export(1)
    bad_revised = revised.revised_keys.add()
    bad_revised.key_data = bytes(8)
    bad_revised.rolling_start_interval_number = 1
    archive, _ = b.archive(revised)
    add("revised key of 8 bytes", ["EXP-5"], archive, "invalid_key", ["KeyField"])
    # Export fields (EXP-5).
    export_cases = [
        ("start after end", {"start_timestamp": 1_700_003_601}),
        ("batch 2 of 1", {"batch_num": 2}),
        ("batch 0 of 1", {"batch_num": 0}),
        ("start timestamp missing", {"start_timestamp": None}),
        ("end timestamp missing", {"end_timestamp": None}),
    ]
    for comment, changes in export_cases:
        message = b.export(1)
        for field, value in changes.items():
            if value is None:
                message.ClearField(field)
            else:
                setattr(message, field, value)
        archive, _ = b.archive(message)
        add(comment, ["EXP-5"], archive, "export_invalid_field", ["ExportField"])
    no_bytes = pb.TEKSignatureList()
    no_bytes.signatures.add().signature_info.verification_key_id = "bluezone-test"
    add(
        "signature entry without signature bytes",
        ["EXP-6"],
        zip_entries([("export.bin", export_bin), ("export.sig", no_bytes.SerializeToString())]),
        "export_invalid_field",
        ["ExportField"],
    )

    # Signatures (EXP-7, EXP-8).
    def with_sig(sig_bytes: bytes) -> bytes:
        return zip_entries([("export.bin", export_bin), ("export.sig", sig_bytes)])

    flipped = bytearray(b.sign(export_bin))
    flipped[-1] ^= 1
    swapped = b.export(2)
    swapped_bin = HEADER + swapped.SerializeToString()
    swapped.region = "XX"
    sign_cases = [
        (
            "signed by another key",
            b.signature_list(export_bin, signature=b.sign(export_bin, b.other)),
            "export_bad_signature",
            ["Signature"],
        ),
        (
            "last signature byte flipped",
            b.signature_list(export_bin, signature=bytes(flipped)),
            "export_bad_signature",
            ["Signature"],
        ),
        (
            "signature over the protobuf without the header",
            b.signature_list(export_bin, signature=b.sign(export_bin[16:])),
            "export_bad_signature",
            ["Signature"],
        ),
        (
            "signature is not DER",
            b.signature_list(export_bin, signature=b.rng.randbytes(70)),
            "export_bad_signature",
            ["Signature"],
        ),
        (
            "ECDSA with SHA-512 named",
            b.signature_list(export_bin, algorithm=ECDSA_P256_SHA512),
            "export_unsupported_algorithm",
            ["Algorithm"],
        ),
        (
            "algorithm field empty",
            b.signature_list(export_bin, algorithm=""),
            "export_unsupported_algorithm",
            ["Algorithm"],
        ),
        (
            "no signature for our key ID",
            b.signature_list(export_bin, key_id="someone-else"),
            "export_signature_missing",
            ["Signature"],
        ),
        ("empty signature list", b"", "export_signature_missing", ["Signature"]),
        (
            "signature batch number differs",
            b.signature_list(export_bin, batch_num=2),
            "export_invalid_field",
            ["Signature", "ExportField"],
        ),
    ]
    for comment, sig_bytes, error, flags in sign_cases:
        add(comment, ["EXP-6", "EXP-7", "EXP-8"], with_sig(sig_bytes), error, flags)
    tampered_bin = HEADER + swapped.SerializeToString()
    add(
        "export.bin changed after signing",
        ["EXP-8"],
        zip_entries([("export.bin", tampered_bin), ("export.sig", b.signature_list(swapped_bin))]),
        "export_bad_signature",
        ["Signature"],
    )
    return group


def build(seed: int) -> list[Group]:
    builder = Builder(random.Random(seed))
    return [real_file_group(), generated_valid(builder), generated_invalid(builder)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "export.json",
        "GAEN export archive: export.bin, export.sig, ECDSA P-256/SHA-256",
        f"spec/tools/generate_export_vectors.py --seed {args.seed}",
        NOTES,
        build(args.seed),
    )


if __name__ == "__main__":
    main()
