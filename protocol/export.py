"""The GAEN export file: a zip of export.bin and export.sig (spec EXP-1..EXP-9).

export.bin is the 16-byte header "EK Export v1    " followed by a protobuf
TemporaryExposureKeyExport; export.sig is a protobuf TEKSignatureList whose signatures are
ECDSA P-256 / SHA-256 over the whole export.bin, header included. Parsing hostile bytes
raises only ExportError subclasses (or the key errors of section 1 for bad keys); nothing is
read past the size limits. Signing takes a caller's ``sign(bytes) -> bytes`` callable, so
this module never draws an ECDSA nonce; verification is pure.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from google.protobuf.message import DecodeError, EncodeError, Message

from bluezone.protocol import _export_pb2 as pb
from bluezone.protocol.errors import (
    ExportArchiveError,
    ExportBadSignatureError,
    ExportDuplicateEntryError,
    ExportFieldError,
    ExportHeaderError,
    ExportMissingEntryError,
    ExportProtobufError,
    ExportSignatureMissingError,
    ExportTooLargeError,
    ExportTooManyEntriesError,
    ExportUnexpectedEntryError,
    ExportUnsupportedAlgorithmError,
    InvalidIntervalError,
    InvalidKeyError,
    InvalidRollingPeriodError,
    ProtocolError,
)
from bluezone.protocol.params import (
    EXPORT_BIN_NAME,
    EXPORT_ENTRY_NAMES,
    EXPORT_HEADER,
    EXPORT_SIG_NAME,
    EXPORT_SIGNATURE_ALGORITHM,
    EXPORT_ZIP_DATE_TIME,
    EXPORT_ZIP_METHODS,
    MAX_DAYS_SINCE_ONSET,
    MAX_EXPORT_ARCHIVE_BYTES,
    MAX_EXPORT_BIN_BYTES,
    MAX_EXPORT_ENTRIES,
    MAX_EXPORT_SIG_BYTES,
    MAX_REPORT_TYPE,
    MAX_ROLLING_PERIOD,
    MAX_TRANSMISSION_RISK_LEVEL,
    MIN_DAYS_SINCE_ONSET,
    MIN_REPORT_TYPE,
    MIN_ROLLING_PERIOD,
    MIN_TRANSMISSION_RISK_LEVEL,
    TEK_LENGTH,
)

_INT32_MAX = 2**31 - 1
# The optional integer fields of a key message (EXP-5).
_OptionalKeyField = Literal[
    "transmission_risk_level", "report_type", "days_since_onset_of_symptoms"
]
_UINT64_MAX = 2**64 - 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_optional_range(value: int | None, low: int, high: int, what: str) -> None:
    if value is not None and (not _is_int(value) or not low <= value <= high):
        raise ExportFieldError(f"EXP-5: {what} must be in {low}..{high}")


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """Which key signed an export: key ID, key version and algorithm OID (spec EXP-7)."""

    verification_key_id: str
    verification_key_version: str
    signature_algorithm: str = EXPORT_SIGNATURE_ALGORITHM

    def __post_init__(self) -> None:
        for value in (
            self.verification_key_id,
            self.verification_key_version,
            self.signature_algorithm,
        ):
            if not isinstance(value, str):
                raise ExportFieldError("EXP-7: signature info fields are strings")

    def _to_pb(self, message: pb.SignatureInfo) -> None:
        message.verification_key_id = self.verification_key_id
        message.verification_key_version = self.verification_key_version
        message.signature_algorithm = self.signature_algorithm

    @classmethod
    def _from_pb(cls, message: pb.SignatureInfo) -> SignatureInfo:
        return cls(
            _text(message.verification_key_id),
            _text(message.verification_key_version),
            _text(message.signature_algorithm),
        )


def _text(value: object) -> str:
    # upb hands back bytes for a proto2 string field that is not valid UTF-8.
    if not isinstance(value, str):
        raise ExportProtobufError("EXP-4: a string field is not valid UTF-8")
    return value


@dataclass(frozen=True, slots=True)
class ExportKey:
    """A diagnosis key as carried in an export file, validated on construction (EXP-5)."""

    key_data: bytes
    rolling_start_interval_number: int
    rolling_period: int = MAX_ROLLING_PERIOD
    transmission_risk_level: int | None = None
    report_type: int | None = None
    days_since_onset_of_symptoms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key_data, bytes) or len(self.key_data) != TEK_LENGTH:
            length = len(self.key_data) if isinstance(self.key_data, bytes) else "non-bytes"
            raise InvalidKeyError(f"EXP-5, KS-1: key data must be 16 bytes, got {length}")
        start = self.rolling_start_interval_number
        if not _is_int(start) or not 0 <= start <= _INT32_MAX:
            raise InvalidIntervalError("EXP-5, KS-2: rolling start must be in 0..2**31-1")
        period = self.rolling_period
        if not _is_int(period) or not MIN_ROLLING_PERIOD <= period <= MAX_ROLLING_PERIOD:
            raise InvalidRollingPeriodError("EXP-5, KS-4: rolling period must be in 1..144")
        _check_optional_range(
            self.transmission_risk_level,
            MIN_TRANSMISSION_RISK_LEVEL,
            MAX_TRANSMISSION_RISK_LEVEL,
            "transmission risk level",
        )
        _check_optional_range(self.report_type, MIN_REPORT_TYPE, MAX_REPORT_TYPE, "report type")
        _check_optional_range(
            self.days_since_onset_of_symptoms,
            MIN_DAYS_SINCE_ONSET,
            MAX_DAYS_SINCE_ONSET,
            "days since onset of symptoms",
        )

    def _to_pb(self, message: pb.TemporaryExposureKey) -> None:
        message.key_data = self.key_data
        message.rolling_start_interval_number = self.rolling_start_interval_number
        message.rolling_period = self.rolling_period
        if self.transmission_risk_level is not None:
            message.transmission_risk_level = self.transmission_risk_level
        if self.report_type is not None:
            message.report_type = self.report_type
        if self.days_since_onset_of_symptoms is not None:
            message.days_since_onset_of_symptoms = self.days_since_onset_of_symptoms

    @classmethod
    def _from_pb(cls, message: pb.TemporaryExposureKey) -> ExportKey:
        if len(message.key_data) != TEK_LENGTH:
            raise InvalidKeyError(f"EXP-5, KS-1: key data is {len(message.key_data)} bytes")
        if not message.HasField("rolling_start_interval_number"):
            raise ExportFieldError("EXP-5: a key has no rolling start interval number")

        def optional(name: _OptionalKeyField) -> int | None:
            return getattr(message, name) if message.HasField(name) else None

        return cls(
            key_data=bytes(message.key_data),
            rolling_start_interval_number=message.rolling_start_interval_number,
            rolling_period=message.rolling_period,
            transmission_risk_level=optional("transmission_risk_level"),
            report_type=optional("report_type"),
            days_since_onset_of_symptoms=optional("days_since_onset_of_symptoms"),
        )


@dataclass(frozen=True, slots=True)
class ExportPayload:
    """The content of export.bin: time window, region, batch, signature infos, keys (EXP-5)."""

    start_timestamp: int
    end_timestamp: int
    region: str
    batch_num: int = 1
    batch_size: int = 1
    signature_infos: tuple[SignatureInfo, ...] = ()
    keys: tuple[ExportKey, ...] = ()
    revised_keys: tuple[ExportKey, ...] = ()

    def __post_init__(self) -> None:
        for value in (self.start_timestamp, self.end_timestamp):
            if not _is_int(value) or not 0 <= value <= _UINT64_MAX:
                raise ExportFieldError("EXP-5: timestamps must be in 0..2**64-1")
        if self.start_timestamp > self.end_timestamp:
            raise ExportFieldError("EXP-5: start timestamp is after end timestamp")
        if not isinstance(self.region, str):
            raise ExportFieldError("EXP-5: region must be a string")
        _check_batch(self.batch_num, self.batch_size)
        object.__setattr__(self, "signature_infos", tuple(self.signature_infos))
        object.__setattr__(self, "keys", tuple(self.keys))
        object.__setattr__(self, "revised_keys", tuple(self.revised_keys))

    def __bytes__(self) -> bytes:
        """Serialise as export.bin: header then the protobuf message (spec EXP-2, EXP-9)."""
        message = pb.TemporaryExposureKeyExport(
            start_timestamp=self.start_timestamp,
            end_timestamp=self.end_timestamp,
            region=self.region,
            batch_num=self.batch_num,
            batch_size=self.batch_size,
        )
        for info in self.signature_infos:
            info._to_pb(message.signature_infos.add())
        for key in self.keys:
            key._to_pb(message.keys.add())
        for key in self.revised_keys:
            key._to_pb(message.revised_keys.add())
        return EXPORT_HEADER + _serialise(message)

    @classmethod
    def from_bytes(cls, export_bin: bytes) -> ExportPayload:
        """Parse export.bin strictly: header, protobuf, every key (spec EXP-2, EXP-4, EXP-5)."""
        if len(export_bin) > MAX_EXPORT_BIN_BYTES:
            raise ExportTooLargeError("EXP-3: export.bin is over its size limit")
        if export_bin[: len(EXPORT_HEADER)] != EXPORT_HEADER:
            raise ExportHeaderError('EXP-2: export.bin does not start with "EK Export v1    "')
        message = pb.TemporaryExposureKeyExport()
        _parse(message, export_bin[len(EXPORT_HEADER) :], "export.bin")
        region = _text(message.region)
        infos = tuple(SignatureInfo._from_pb(i) for i in message.signature_infos)
        for name in ("start_timestamp", "end_timestamp"):
            if not message.HasField(name):
                raise ExportFieldError(f"EXP-5: export.bin has no {name}")
        if message.start_timestamp > message.end_timestamp:
            raise ExportFieldError("EXP-5: start timestamp is after end timestamp")
        batch_num = message.batch_num if message.HasField("batch_num") else 1
        batch_size = message.batch_size if message.HasField("batch_size") else 1
        _check_batch(batch_num, batch_size)
        return cls(
            start_timestamp=message.start_timestamp,
            end_timestamp=message.end_timestamp,
            region=region,
            batch_num=batch_num,
            batch_size=batch_size,
            signature_infos=infos,
            keys=tuple(ExportKey._from_pb(k) for k in message.keys),
            revised_keys=tuple(ExportKey._from_pb(k) for k in message.revised_keys),
        )


def _check_batch(batch_num: object, batch_size: object) -> None:
    if not (
        _is_int(batch_num) and _is_int(batch_size) and 1 <= batch_num <= batch_size <= _INT32_MAX  # type: ignore[operator]
    ):
        raise ExportFieldError("EXP-5: batch numbers must satisfy 1 <= num <= size")


def _serialise(message: Message) -> bytes:
    try:
        return message.SerializeToString(deterministic=True)
    except (EncodeError, ValueError) as exc:
        raise ExportFieldError("EXP-9: the message cannot be encoded") from exc


def _parse(message: object, data: bytes, what: str) -> None:
    try:
        message.ParseFromString(data)  # type: ignore[attr-defined]
    except (DecodeError, RuntimeError, ValueError, TypeError, RecursionError) as exc:
        raise ExportProtobufError(f"EXP-4: {what} is not a valid protobuf message") from exc


@dataclass(frozen=True, slots=True)
class TEKSignature:
    """One signature of export.sig: signer info, batch numbers, ASN.1 DER signature."""

    signature_info: SignatureInfo
    batch_num: int
    batch_size: int
    signature: bytes


def encode_signature_list(signatures: Sequence[TEKSignature]) -> bytes:
    """Serialise export.sig, a TEKSignatureList (spec EXP-6, EXP-9)."""
    message = pb.TEKSignatureList()
    for sig in signatures:
        entry = message.signatures.add()
        sig.signature_info._to_pb(entry.signature_info)
        entry.batch_num = sig.batch_num
        entry.batch_size = sig.batch_size
        entry.signature = sig.signature
    return _serialise(message)


def parse_signature_list(export_sig: bytes) -> tuple[TEKSignature, ...]:
    """Parse export.sig strictly (spec EXP-6)."""
    if len(export_sig) > MAX_EXPORT_SIG_BYTES:
        raise ExportTooLargeError("EXP-3: export.sig is over its size limit")
    message = pb.TEKSignatureList()
    _parse(message, export_sig, "export.sig")
    result = []
    for entry in message.signatures:
        if not entry.HasField("signature_info") or not entry.HasField("signature"):
            raise ExportFieldError("EXP-6: a signature lacks its info or signature bytes")
        result.append(
            TEKSignature(
                SignatureInfo._from_pb(entry.signature_info),
                entry.batch_num if entry.HasField("batch_num") else 1,
                entry.batch_size if entry.HasField("batch_size") else 1,
                bytes(entry.signature),
            )
        )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class ExportVerificationKey:
    """A trusted export-signing key: its ID and version, and SubjectPublicKeyInfo DER."""

    key_id: str
    key_version: str
    public_key_der: bytes

    def public_key(self) -> ec.EllipticCurvePublicKey:
        """Load the P-256 public key (spec EXP-8)."""
        try:
            key = load_der_public_key(self.public_key_der)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ExportUnsupportedAlgorithmError("EXP-8: not a P-256 public key") from exc
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ExportUnsupportedAlgorithmError("EXP-8: not a P-256 public key")
        return key


@dataclass(frozen=True, slots=True)
class ExportSigner:
    """A signing key held by the caller: its info, and ``sign(export_bin) -> DER signature``."""

    signature_info: SignatureInfo
    sign: Callable[[bytes], bytes]


# What zipfile and zlib raise on a malformed archive held in memory. Anything else escaping
# is a bug to see, not a bad archive.
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,  # bad signatures, truncated records, CRC mismatch
    zlib.error,  # corrupt deflate data
    EOFError,  # deflate data ending early
    struct.error,  # records too short to unpack
    NotImplementedError,  # flag bits zipfile cannot read (compressed patch, strong encryption)
    UnicodeDecodeError,  # an entry name flagged UTF-8 that is not
    OverflowError,  # offsets past what a seek takes
    ValueError,  # negative offsets (seek) and other impossible values
)


def _read_entries(archive: bytes) -> dict[str, bytes]:
    """Open the zip and read exactly its two entries, within limits (spec EXP-1, EXP-3)."""
    if len(archive) > MAX_EXPORT_ARCHIVE_BYTES:
        raise ExportTooLargeError("EXP-3: archive is over its size limit")
    limits = {EXPORT_BIN_NAME: MAX_EXPORT_BIN_BYTES, EXPORT_SIG_NAME: MAX_EXPORT_SIG_BYTES}
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_EXPORT_ENTRIES:
                raise ExportTooManyEntriesError("EXP-1: archive holds more than two entries")
            names = [info.filename for info in infos]
            if len(set(names)) != len(names):
                raise ExportDuplicateEntryError("EXP-1: an entry name appears twice")
            if any(name not in EXPORT_ENTRY_NAMES for name in names):
                raise ExportUnexpectedEntryError("EXP-1: entry other than export.bin/.sig")
            if len(names) != len(EXPORT_ENTRY_NAMES):
                raise ExportMissingEntryError("EXP-1: export.bin or export.sig is missing")
            entries = {}
            for info in infos:
                limit = limits[info.filename]
                if info.flag_bits & 0x1:
                    raise ExportArchiveError("EXP-1: entries must not be encrypted")
                if info.compress_type not in EXPORT_ZIP_METHODS:
                    raise ExportArchiveError("EXP-1: compression must be stored or deflate")
                if info.file_size > limit:
                    raise ExportTooLargeError(f"EXP-3: {info.filename} is over its limit")
                with zf.open(info) as entry:
                    data = entry.read(limit + 1)
                if len(data) > limit:
                    raise ExportTooLargeError(f"EXP-3: {info.filename} is over its limit")
                entries[info.filename] = data
    except ProtocolError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise ExportArchiveError("EXP-1: not a well-formed zip archive") from exc
    return entries


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A parsed export archive: the exact export.bin bytes, its content, and export.sig."""

    export_bin: bytes
    payload: ExportPayload
    signatures: tuple[TEKSignature, ...]

    @classmethod
    def from_zip(cls, archive: bytes) -> ExportFile:
        """Parse an export archive strictly, in the check order of EXP-10 (EXP-1..EXP-6).

        Signatures are parsed here and verified by ``verify``.
        """
        entries = _read_entries(archive)
        export_bin = entries[EXPORT_BIN_NAME]
        payload = ExportPayload.from_bytes(export_bin)
        signatures = parse_signature_list(entries[EXPORT_SIG_NAME])
        return cls(export_bin, payload, signatures)

    def to_zip(self) -> bytes:
        """Serialise as a zip with fixed metadata: equal inputs give equal bytes (EXP-9)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
            for name, data in (
                (EXPORT_BIN_NAME, self.export_bin),
                (EXPORT_SIG_NAME, encode_signature_list(self.signatures)),
            ):
                info = zipfile.ZipInfo(name, date_time=EXPORT_ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 0
                info.external_attr = 0
                zf.writestr(info, data)
        return buffer.getvalue()

    def verify(self, key: ExportVerificationKey) -> TEKSignature:
        """Verify the signatures made by ``key`` over export.bin (spec EXP-7, EXP-8).

        Every signature whose key ID and version match must name ECDSA P-256 / SHA-256, carry
        the export's batch numbers and verify; at least one must exist. Returns the first.
        """
        matching = [
            s
            for s in self.signatures
            if s.signature_info.verification_key_id == key.key_id
            and s.signature_info.verification_key_version == key.key_version
        ]
        if not matching:
            raise ExportSignatureMissingError("EXP-7: no signature for the verification key")
        public_key = key.public_key()
        for sig in matching:
            if sig.signature_info.signature_algorithm != EXPORT_SIGNATURE_ALGORITHM:
                raise ExportUnsupportedAlgorithmError("EXP-8: unsupported signature algorithm")
            if (sig.batch_num, sig.batch_size) != (self.payload.batch_num, self.payload.batch_size):
                raise ExportFieldError("EXP-6: signature batch numbers differ from export.bin")
            try:
                public_key.verify(sig.signature, self.export_bin, ec.ECDSA(hashes.SHA256()))
            except (InvalidSignature, ValueError) as exc:
                raise ExportBadSignatureError("EXP-8: signature does not verify") from exc
        return matching[0]


def sign_export(payload: ExportPayload, signers: Sequence[ExportSigner]) -> ExportFile:
    """Build an export file signed by each caller-held key (spec EXP-6, EXP-8, EXP-9).

    The payload's signature infos are replaced by the signers' infos, in order.
    """
    signed = replace(payload, signature_infos=tuple(s.signature_info for s in signers))
    export_bin = bytes(signed)
    if len(export_bin) > MAX_EXPORT_BIN_BYTES:
        raise ExportTooLargeError("EXP-3: export.bin would be over its size limit")
    signatures = []
    for signer in signers:
        signature = signer.sign(export_bin)
        if not isinstance(signature, bytes) or not signature:
            raise ExportBadSignatureError("EXP-8: the signer returned no signature bytes")
        signatures.append(
            TEKSignature(signer.signature_info, signed.batch_num, signed.batch_size, signature)
        )
    return ExportFile(export_bin, signed, tuple(signatures))
