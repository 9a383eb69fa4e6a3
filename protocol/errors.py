"""The errors of the pure library: one base class, one subclass per kind of failure.

Every class carries ``code``, the error name the spec defines (spec/00-conventions.md,
CONV-4). Vectors and the interop adapter protocol use those names, never message text.
Messages name the rule and the offending length or field, never a key or identifier.
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base class of every error raised by ``protocol``."""

    code = "protocol_error"


class InvalidKeyError(ProtocolError):
    """A temporary exposure key or a derived key has the wrong length (KS-1)."""

    code = "invalid_key"


class InvalidIntervalError(ProtocolError):
    """An interval number is outside 0..2**32-1 or a time is negative (KS-2)."""

    code = "invalid_interval"


class InvalidRollingPeriodError(ProtocolError):
    """A rolling period is outside 1..144, or the key runs past the last interval (KS-4)."""

    code = "invalid_rolling_period"


class InvalidMetadataError(ProtocolError):
    """Metadata is not 4 bytes or a field is out of range (KS-9)."""

    code = "invalid_metadata"


class UnsupportedVersionError(ProtocolError):
    """Metadata carries a major version other than 1 (KS-10)."""

    code = "unsupported_version"


class ImplausibleTxPowerError(ProtocolError):
    """Decrypted TX power is outside the plausible range (MATCH-7)."""

    code = "implausible_tx_power"


class EmbargoedKeyError(ProtocolError):
    """A diagnosis key is used before its period ended plus the embargo (KS-12, MATCH-8)."""

    code = "embargoed_key"


class AdvertisementError(ProtocolError):
    """Base class of advertising-data decoding failures (spec section 2)."""

    code = "invalid_advertisement"


class AdTooLongError(AdvertisementError):
    """Advertising data is longer than 31 bytes (ADV-4)."""

    code = "ad_too_long"


class AdTruncatedError(AdvertisementError):
    """An AD structure's length runs past the end of the data (ADV-5)."""

    code = "ad_truncated"


class AdPaddingError(AdvertisementError):
    """Bytes after the zero length octet are not all zero (ADV-6)."""

    code = "ad_nonzero_padding"


class AdDuplicateStructureError(AdvertisementError):
    """An AD type the decoder reads appears more than once (ADV-7)."""

    code = "ad_duplicate_structure"


class AdBadFlagsError(AdvertisementError):
    """A Flags structure does not hold exactly one octet (ADV-8)."""

    code = "ad_bad_flags"


class AdMissingServiceUuidError(AdvertisementError):
    """No Complete List of 16-bit Service UUIDs naming 0xFD6F, or a malformed list (ADV-9)."""

    code = "ad_missing_service_uuid"


class AdMissingServiceDataError(AdvertisementError):
    """No Service Data structure for UUID 0xFD6F (ADV-10)."""

    code = "ad_missing_service_data"


class AdServiceDataLengthError(AdvertisementError):
    """Service data for 0xFD6F is not exactly 20 octets after the UUID (ADV-11)."""

    code = "ad_service_data_length"


# --- Section 4: export files (EXP) -----------------------------------------------------------


class ExportError(ProtocolError):
    """Base class of export-file failures (spec section 4, EXP rules)."""

    code = "invalid_export"


class ExportTooLargeError(ExportError):
    """The archive or an entry exceeds its size limit (EXP-3)."""

    code = "export_too_large"


class ExportArchiveError(ExportError):
    """The bytes are not a well-formed, unencrypted zip with supported compression (EXP-1)."""

    code = "export_bad_archive"


class ExportTooManyEntriesError(ExportError):
    """The archive holds more than two entries (EXP-1)."""

    code = "export_too_many_entries"


class ExportDuplicateEntryError(ExportError):
    """An entry name appears twice in the archive (EXP-1)."""

    code = "export_duplicate_entry"


class ExportUnexpectedEntryError(ExportError):
    """The archive holds an entry other than export.bin and export.sig (EXP-1)."""

    code = "export_unexpected_entry"


class ExportMissingEntryError(ExportError):
    """export.bin or export.sig is missing (EXP-1)."""

    code = "export_missing_entry"


class ExportHeaderError(ExportError):
    """export.bin does not start with the 16-byte header "EK Export v1    " (EXP-2)."""

    code = "export_bad_header"


class ExportProtobufError(ExportError):
    """export.bin or export.sig is not a valid protobuf message of its type (EXP-4)."""

    code = "export_bad_protobuf"


class ExportFieldError(ExportError):
    """A field is missing or out of range (EXP-5, EXP-6)."""

    code = "export_invalid_field"


class ExportUnsupportedAlgorithmError(ExportError):
    """A signature names an algorithm other than ECDSA P-256 with SHA-256 (EXP-8)."""

    code = "export_unsupported_algorithm"


class ExportSignatureMissingError(ExportError):
    """export.sig holds no signature for the verification key (EXP-7)."""

    code = "export_signature_missing"


class ExportBadSignatureError(ExportError):
    """A signature for the verification key does not verify over export.bin (EXP-8)."""

    code = "export_bad_signature"


# --- Section 4: transparency log (LOG) -------------------------------------------------------


class MerkleError(ProtocolError):
    """Base class of Merkle tree and proof failures (LOG-1..LOG-4)."""

    code = "merkle_error"


class MerkleHashLengthError(MerkleError):
    """A hash given to the tree or a proof is not 32 bytes (LOG-1)."""

    code = "merkle_hash_length"


class MerkleTreeSizeError(MerkleError):
    """A tree size is outside 0..2**64-1 or larger than the tree that was built (LOG-1)."""

    code = "merkle_tree_size"


class MerkleIndexError(MerkleError):
    """A leaf index is not below the tree size (LOG-3)."""

    code = "merkle_index_out_of_range"


class MerkleSizeOrderError(MerkleError):
    """A consistency proof's first size is larger than its second (LOG-4)."""

    code = "merkle_sizes_out_of_order"


class MerkleProofLengthError(MerkleError):
    """A proof holds more or fewer hashes than its sizes require (LOG-3, LOG-4)."""

    code = "merkle_proof_length"


class MerkleRootMismatchError(MerkleError):
    """A proof does not lead to the given root hash (LOG-3, LOG-4)."""

    code = "merkle_root_mismatch"


class BatchLeafError(ProtocolError):
    """Leaf data is not a well-formed batch leaf, or names another batch number (LOG-2)."""

    code = "invalid_batch_leaf"


class NoteError(ProtocolError):
    """Base class of signed-note failures (LOG-6, LOG-7)."""

    code = "note_error"


class NoteMalformedError(NoteError):
    """A signed note breaks the C2SP signed-note syntax (LOG-6)."""

    code = "note_malformed"


class NoteTooLargeError(NoteError):
    """A note exceeds the size or signature-count limit (LOG-6)."""

    code = "note_too_large"


class NoteKeyError(NoteError):
    """A verifier or signer key is malformed, of an unknown type, or has a wrong key ID (LOG-7)."""

    code = "note_key_invalid"


class NoteAmbiguousKeyError(NoteError):
    """Two different verifier keys share a name and key ID (LOG-7)."""

    code = "note_key_ambiguous"


class NoteBadSignatureError(NoteError):
    """A signature from a known key does not verify (LOG-6)."""

    code = "note_bad_signature"


class NoteUnverifiedError(NoteError):
    """No signature in the note is from a known key (LOG-6)."""

    code = "note_unverified"


class CheckpointMalformedError(NoteError):
    """A note's text is not a valid checkpoint body (LOG-8)."""

    code = "checkpoint_malformed"


class CheckpointOriginError(NoteError):
    """A checkpoint's origin differs from the log's key name or the expected origin (LOG-8)."""

    code = "checkpoint_origin_mismatch"


class CheckpointUnsignedError(NoteError):
    """A checkpoint carries no verified signature from the log's own key (LOG-10)."""

    code = "checkpoint_log_signature_missing"


class CosignatureTimestampError(NoteError):
    """A cosignature timestamp exceeds 2**63-1 or lies after the caller's limit (LOG-9)."""

    code = "cosignature_bad_timestamp"


class WitnessQuorumError(NoteError):
    """Fewer distinct witnesses than required cosigned a checkpoint (LOG-10)."""

    code = "witness_quorum_not_met"


# --- Section 4: key upload (SRV) -------------------------------------------------------------


class UploadError(ProtocolError):
    """Base class of key-upload rule violations (SRV-5, SRV-6)."""

    code = "invalid_upload"


class TooFewKeysError(UploadError):
    """An upload holds no key (SRV-6)."""

    code = "too_few_keys"


class TooManyKeysError(UploadError):
    """An upload holds more keys than the server allows (SRV-6)."""

    code = "too_many_keys"


class DuplicateKeyError(UploadError):
    """Two keys of one upload carry the same key data (SRV-6)."""

    code = "duplicate_key"


class OverlappingKeysError(UploadError):
    """Keys of one upload overlap without sharing their start, or too many share it (SRV-6)."""

    code = "overlapping_keys"


class NoKeysInWindowError(UploadError):
    """Every key of an upload lies outside the window the server accepts (SRV-6)."""

    code = "no_keys_in_window"


class HmacMismatchError(UploadError):
    """The key-list HMAC under the upload's secret differs from the token's (SRV-5)."""

    code = "hmac_mismatch"


class HmacSecretError(UploadError):
    """An HMAC secret or a key-list HMAC has the wrong length (SRV-5)."""

    code = "invalid_hmac"


class InvalidCodeError(UploadError):
    """A verification code is not CODE_LENGTH symbols of the code alphabet (SRV-3)."""

    code = "invalid_code"


class NoKeyAfterExposureError(UploadError):
    """A recursive upload whose keys all end before the exposure day (SRV-21)."""

    code = "no_key_after_exposure"


class RevisionDeniedError(UploadError):
    """A key not stored, without a revision tag, or whose tag the secret does not give (SRV-24)."""

    code = "revision_denied"


class InvalidReportTypeTransitionError(UploadError):
    """A key whose current report type may not become the revision's (SRV-24)."""

    code = "invalid_report_type_transition"


# --- Section 4: witnesses (WIT) --------------------------------------------------------------


class WitnessError(ProtocolError):
    """Base class of tlog-witness add-checkpoint failures (WIT-1, WIT-2)."""

    code = "witness_error"


class WitnessRequestMalformedError(WitnessError):
    """An add-checkpoint body or a witness answer breaks the wire format (WIT-1, WIT-3)."""

    code = "witness_request_malformed"


class WitnessUnknownLogError(WitnessError):
    """The checkpoint's origin is not a log the witness follows (WIT-2, 404)."""

    code = "witness_unknown_log"


class WitnessLogSignatureError(WitnessError):
    """No signature of the checkpoint verifies under the log's trusted key (WIT-2, 403)."""

    code = "witness_log_signature"


class WitnessOldSizeError(WitnessError):
    """The old size is larger than the checkpoint's size (WIT-2, 400)."""

    code = "witness_old_size"


class WitnessConflictError(WitnessError):
    """The old size is not the witness's, or the same size has another root (WIT-2, 409).

    ``known_size`` is the size of the last checkpoint the witness cosigned for the origin.
    """

    code = "witness_conflict"

    def __init__(self, message: str, known_size: int) -> None:
        super().__init__(message)
        self.known_size = known_size


class WitnessProofError(WitnessError):
    """The consistency proof from the old size does not verify (WIT-2, 422)."""

    code = "witness_bad_proof"
