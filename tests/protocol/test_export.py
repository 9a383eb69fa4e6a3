"""GAEN export files: vectors from spec/vectors/export.json and properties."""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.export import (
    ExportFile,
    ExportKey,
    ExportPayload,
    ExportSigner,
    ExportVerificationKey,
    SignatureInfo,
    sign_export,
)
from bluezone.protocol.params import EXPORT_HEADER
from tests.vectorfiles import VECTORS, cases

FILE = "export.json"


def _text(value: str) -> str:
    return bytes.fromhex(value).decode("utf-8")


def _archive(inputs: dict) -> bytes:
    return bytes.fromhex(inputs["archive"])


def _key(inputs: dict) -> ExportVerificationKey | None:
    key = inputs.get("verificationKey")
    if key is None:
        return None
    return ExportVerificationKey(
        _text(key["keyId"]), _text(key["keyVersion"]), bytes.fromhex(key["publicKeyDer"])
    )


def _key_fields(key: ExportKey) -> dict:
    return {
        "keyData": key.key_data.hex(),
        "rollingStartIntervalNumber": key.rolling_start_interval_number,
        "rollingPeriod": key.rolling_period,
        "transmissionRiskLevel": key.transmission_risk_level,
        "reportType": key.report_type,
        "daysSinceOnsetOfSymptoms": key.days_since_onset_of_symptoms,
    }


@pytest.mark.parametrize("test", cases(FILE, "ExportFile"))
def test_export_vectors(test: dict) -> None:
    inputs = test["inputs"]
    archive, key = _archive(inputs), _key(inputs)

    def run() -> ExportFile:
        export = ExportFile.from_zip(archive)
        if key is not None:
            export.verify(key)
        return export

    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as info:
            run()
        assert info.value.code == test["expected"]["error"]
        return
    export = run()
    expected, payload = test["expected"], export.payload
    assert hashlib.sha256(export.export_bin).hexdigest() == expected["exportBinSha256"]
    assert payload.start_timestamp == expected["startTimestamp"]
    assert payload.end_timestamp == expected["endTimestamp"]
    assert payload.region == _text(expected["region"])
    assert (payload.batch_num, payload.batch_size) == (expected["batchNum"], expected["batchSize"])
    infos = [
        {
            "verificationKeyId": i.verification_key_id.encode().hex(),
            "verificationKeyVersion": i.verification_key_version.encode().hex(),
            "signatureAlgorithm": i.signature_algorithm.encode().hex(),
        }
        for i in payload.signature_infos
    ]
    assert infos == expected["signatureInfos"]
    assert len(payload.keys) == expected["keyCount"]
    if "keys" in expected:
        assert [_key_fields(k) for k in payload.keys] == expected["keys"]
    assert [_key_fields(k) for k in payload.revised_keys] == expected["revisedKeys"]
    reparsed = ExportFile.from_zip(export.to_zip())
    assert reparsed == export


def test_real_file_matches_the_publishers_expected_contents() -> None:
    """Values from shared GAEN data (gaen_crypto_vectors.json) for the 2-key file."""
    archive = (VECTORS / "export" / "testExport-2-records-1-of-1.zip").read_bytes()
    payload = ExportFile.from_zip(archive).payload
    assert [k.key_data.hex() for k in payload.keys] == [
        "172fc480e598490c34177604339b1543",
        "2b63053ac483238de176169e861f3dcd",
    ]
    assert [(k.rolling_start_interval_number, k.rolling_period) for k in payload.keys] == [
        (2649980, 1),
        (2649866, 114),
    ]


PRIVATE_KEY = ec.derive_private_key(0x5EED, ec.SECP256R1())
INFO = SignatureInfo("test", "v1")
VERIFY_KEY = ExportVerificationKey(
    "test",
    "v1",
    PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ),
)


def _sign(data: bytes) -> bytes:
    return PRIVATE_KEY.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


export_keys = st.builds(
    ExportKey,
    key_data=st.binary(min_size=16, max_size=16),
    rolling_start_interval_number=st.integers(0, 2**31 - 1),
    rolling_period=st.integers(1, 144),
    transmission_risk_level=st.none() | st.integers(0, 8),
    report_type=st.none() | st.integers(0, 5),
    days_since_onset_of_symptoms=st.none() | st.integers(-14, 14),
)
payloads = st.builds(
    ExportPayload,
    start_timestamp=st.integers(0, 2**40),
    end_timestamp=st.just(2**40),
    region=st.text(max_size=5),
    keys=st.lists(export_keys, max_size=6).map(tuple),
    revised_keys=st.lists(export_keys, max_size=2).map(tuple),
)


@settings(max_examples=40, deadline=None)
@given(payloads)
def test_build_parse_verify_round_trip(payload: ExportPayload) -> None:
    export = sign_export(payload, [ExportSigner(INFO, _sign)])
    archive = export.to_zip()
    assert archive == export.to_zip()
    parsed = ExportFile.from_zip(archive)
    assert parsed == export
    assert parsed.payload.keys == payload.keys
    assert parsed.verify(VERIFY_KEY).signature_info == INFO
    assert ExportPayload.from_bytes(bytes(parsed.payload)) == parsed.payload


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_archives_raise_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        ExportFile.from_zip(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_export_bin_raises_only_protocol_errors(body: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        ExportPayload.from_bytes(EXPORT_HEADER + body)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_export_bin_raises_only_protocol_errors(data: st.DataObject) -> None:
    payload = ExportPayload(1, 2, "VN", keys=(ExportKey(bytes(16), 5, 144, 1, 1, 0),))
    body = bytearray(bytes(payload))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(len(EXPORT_HEADER), len(body) - 1))
        body[position] = data.draw(st.integers(0, 255))
    try:
        export = sign_export(ExportPayload.from_bytes(bytes(body)), [ExportSigner(INFO, _sign)])
    except ProtocolError:
        return
    assert ExportFile.from_zip(export.to_zip()).verify(VERIFY_KEY)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_signature_lists_raise_only_protocol_errors(sig: bytes) -> None:
    export = sign_export(ExportPayload(1, 2, "VN"), [ExportSigner(INFO, _sign)])
    archive = _zip({"export.bin": export.export_bin, "export.sig": sig})
    with contextlib.suppress(ProtocolError):
        ExportFile.from_zip(archive).verify(VERIFY_KEY)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_written_archive_layout_is_fixed() -> None:
    export = sign_export(ExportPayload(1, 2, "VN"), [ExportSigner(INFO, _sign)])
    with zipfile.ZipFile(io.BytesIO(export.to_zip())) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["export.bin", "export.sig"]
    assert {(i.date_time, i.compress_type, i.create_system) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), zipfile.ZIP_STORED, 0)
    }
