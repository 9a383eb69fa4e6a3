"""Our library behind the adapter protocol: ``python -m bluezone.interop_tests.reference_adapter``.

The only module of ``interop_tests`` that imports ``protocol``: the suite judges the
library through this adapter exactly as it judges a foreign implementation through its
own. ``--listen HOST:PORT`` serves TCP connections instead of stdin/stdout (IOP-20).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from hashlib import sha256
from importlib import metadata
from typing import Any

from bluezone.interop_tests.adapter_kit import (
    Adapter,
    AdapterInputError,
    Handler,
    bool_param,
    hex_list_param,
    hex_param,
    int_param,
    list_param,
    optional_int_param,
    run,
    text_hex,
    text_list_param,
    text_param,
)
from bluezone.protocol import (
    Advertisement,
    Metadata,
    ProtocolError,
    Sighting,
    TemporaryExposureKey,
    check_exposures,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    find_matches,
    interval_number,
)
from bluezone.protocol.bluezone2020 import LegacyAdvertisement, blid_at
from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile, ExportKey, ExportVerificationKey
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from bluezone.protocol.note import NoteSignature, NoteSigner, NoteVerifier, SignedNote, open_note
from bluezone.protocol.params import MAX_DAY
from bluezone.protocol.revisions import resolve_revisions, split_recursive
from bluezone.protocol.risk.aggregation import (
    DiagnosisKeysDataMapping,
    KeyReport,
    Scan,
    ScanSighting,
    exposure_windows,
)
from bluezone.protocol.risk.cwa import CwaConfiguration, CwaPlatform
from bluezone.protocol.risk.cwa import score_cwa as cwa_result
from bluezone.protocol.risk.errors import InvalidConfigurationError
from bluezone.protocol.risk.jsonvalues import read_decimal, read_int, read_object
from bluezone.protocol.risk.levels import LEVEL_NAMES, LevelSettings
from bluezone.protocol.risk.levels import exposure_level as level_of_windows
from bluezone.protocol.risk.levels import level_change as change_of_level
from bluezone.protocol.risk.v1 import ExposureConfiguration
from bluezone.protocol.risk.v1 import score_v1 as v1_summary
from bluezone.protocol.risk.v2 import DailySummariesConfig, V2Profile
from bluezone.protocol.risk.v2 import score_v2 as v2_daily_summaries
from bluezone.protocol.risk.windows import ReportType, windows_from_json, windows_to_json

IMPLEMENTATION = "bluezone-reference"


def derive_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op derive_keys (IOP-11): RPIK and AEMK of a TEK (KS-5, KS-7)."""
    tek = hex_param(params, "tek")
    return {"rpik": derive_rpik(tek).hex(), "aemk": derive_aemk(tek).hex()}


def rpi(params: dict[str, Any]) -> dict[str, Any]:
    """Op rpi (IOP-12): the RPI of a TEK for an interval (KS-6)."""
    return {"rpi": derive_rpi(hex_param(params, "tek"), int_param(params, "interval")).hex()}


def aem_encrypt(params: dict[str, Any]) -> dict[str, Any]:
    """Op aem_encrypt (IOP-13): encrypt 4 metadata bytes (KS-8)."""
    tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
    return {"aem": encrypt_aem(tek, rpi_bytes, hex_param(params, "metadata")).hex()}


def aem_decrypt(params: dict[str, Any]) -> dict[str, Any]:
    """Op aem_decrypt (IOP-14): decrypt an AEM to the raw 4 metadata bytes (KS-8)."""
    tek, rpi_bytes = hex_param(params, "tek"), hex_param(params, "rpi")
    return {"metadata": decrypt_aem(tek, rpi_bytes, hex_param(params, "aem")).hex()}


def advertisement_encode(params: dict[str, Any]) -> dict[str, Any]:
    """Op advertisement_encode (IOP-15): the 31-byte form, or 28 bytes without Flags (ADV-1)."""
    advertisement = Advertisement(hex_param(params, "rpi"), hex_param(params, "aem"))
    return {"ad": advertisement.to_bytes(flags=bool_param(params, "flags", True)).hex()}


def advertisement_decode(params: dict[str, Any]) -> dict[str, Any]:
    """Op advertisement_decode (IOP-16): strict decoding (ADV-4..ADV-12)."""
    advertisement = Advertisement.from_bytes(hex_param(params, "ad"))
    return {"rpi": advertisement.rpi.hex(), "aem": advertisement.aem.hex()}


def read_key(item: dict[str, Any]) -> TemporaryExposureKey:
    """A diagnosis key of a match request, validated by the library (MATCH-1)."""
    return TemporaryExposureKey(
        hex_param(item, "key"), int_param(item, "rolling_start"), int_param(item, "rolling_period")
    )


def read_sighting(item: dict[str, Any]) -> Sighting:
    """A sighting of a match request."""
    return Sighting(hex_param(item, "rpi"), int_param(item, "interval"))


def match(params: dict[str, Any]) -> dict[str, Any]:
    """Op match (IOP-17): which sightings match which keys (MATCH-2..MATCH-5)."""
    keys = [read_key(item) for item in list_param(params, "keys")]
    sightings = [read_sighting(item) for item in list_param(params, "sightings")]
    pairs = find_matches(keys, sightings)
    return {"matches": [{"key_index": k, "sighting_index": s} for k, s in pairs]}


# The risk ops: the adapter's JSON form of the scorers. Numbers are read exactly (a float
# through its shortest decimal form); they raise only ProtocolError subclasses:
# invalid_risk_configuration and invalid_exposure_window.


def _today(value: Any) -> int:
    return read_int(value, "today", InvalidConfigurationError, 0, MAX_DAY)


def score_v2(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v2 (IOP-27): GAEN v2 daily summaries of the windows (RISK-10..RISK-14)."""
    config = DailySummariesConfig.from_json(params.get("config"))
    today = params.get("today")
    day = None if today is None else _today(today)
    summaries = v2_daily_summaries(config, windows_from_json(params.get("windows")), day)
    return {"daily_summaries": [s.to_json() for s in summaries]}


def score_cwa(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_cwa (IOP-28): the Corona-Warn-App verdict over the windows (RISK-30..RISK-39),
    as the app of ``platform`` ("android", the default, or "ios") computes it."""
    config = CwaConfiguration.from_json(params.get("config"))
    platform = CwaPlatform.from_json(params.get("platform", CwaPlatform.ANDROID.value))
    return cwa_result(config, windows_from_json(params.get("windows")), platform).to_json()


def score_v1(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v1 (IOP-29): the GAEN v1 summary of the windows on day today (RISK-20..25)."""
    config = ExposureConfiguration.from_json(params.get("config"))
    today = _today(params.get("today"))
    return v1_summary(config, windows_from_json(params.get("windows")), today).to_json()


def _key_param(item: dict[str, Any]) -> TemporaryExposureKey:
    """A key given as {key_data, rolling_start, rolling_period} (IOP-44, IOP-45)."""
    return TemporaryExposureKey(
        hex_param(item, "key_data"),
        int_param(item, "rolling_start"),
        int_param(item, "rolling_period"),
    )


def _optional_int(item: dict[str, Any], name: str) -> int | None:
    return None if item.get(name) is None else int_param(item, name)


def recursive_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op recursive_keys (IOP-44): the keys a recursive upload keeps and drops (SRV-21)."""
    keys = [_key_param(item) for item in list_param(params, "keys")]
    split = split_recursive(keys, int_param(params, "exposure_interval"))
    return {"kept": list(split.kept), "dropped": list(split.dropped)}


def resolve_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op resolve_keys (IOP-45): keys resolved across batches in log order (MATCH-11)."""
    batches = []
    for batch in list_param(params, "batches"):
        lists = []
        for name in ("keys", "revised_keys"):
            lists.append(
                [
                    TemporaryExposureKey(
                        hex_param(item, "key_data"),
                        int_param(item, "rolling_start"),
                        int_param(item, "rolling_period"),
                        _optional_int(item, "report_type"),
                        _optional_int(item, "days_since_onset"),
                    )
                    for item in list_param(batch, name)
                ]
            )
        batches.append((lists[0], lists[1]))
    return {
        "keys": [
            {
                "key_data": k.key_data.hex(),
                "rolling_start": k.rolling_start,
                "rolling_period": k.rolling_period,
                "report_type": k.report_type,
                "days_since_onset": k.days_since_onset,
            }
            for k in resolve_revisions(batches)
        ]
    }


def _decimal(value: Any, name: str) -> Fraction:
    return read_decimal(value, name, InvalidConfigurationError, 0)


def exposure_level(params: dict[str, Any]) -> dict[str, Any]:
    """Op exposure_level (IOP-46): F1, F2 or none, its day and score (RISK-59).

    ``config`` and ``windows`` as in ``score_v2``; the windows carry their infectiousness and
    report type already, so the key data mapping is the neutral one.
    """
    obj = read_object(
        params,
        "exposure_level",
        InvalidConfigurationError,
        required=(
            "config",
            "windows",
            "score_sum_threshold",
            "recursive_weight",
            "recursive_score_sum_threshold",
        ),
    )
    profile = V2Profile(
        DiagnosisKeysDataMapping(),
        DailySummariesConfig.from_json(obj["config"]),
        _decimal(obj["score_sum_threshold"], "score_sum_threshold"),
    )
    settings = LevelSettings(
        _decimal(obj["recursive_weight"], "recursive_weight"),
        _decimal(obj["recursive_score_sum_threshold"], "recursive_score_sum_threshold"),
    )
    found = level_of_windows(windows_from_json(obj["windows"]), profile, settings)
    score = found.score
    return {
        "level": text_hex(found.level),
        "day": found.day,
        "score": score.numerator if score.denominator == 1 else float(score),
    }


def level_change(params: dict[str, Any]) -> dict[str, Any]:
    """Op level_change (IOP-47): the change between two levels and why (RISK-61)."""
    texts = [text_param(params, name) for name in ("previous", "current")]
    for name, text in zip(("previous", "current"), texts, strict=True):
        if text not in LEVEL_NAMES:
            raise InvalidConfigurationError(f"RISK-61: {name} must be F1, F2 or none")
    counts = [
        _report_type_counts(params.get(name), name) for name in ("matched_before", "matched_now")
    ]
    found = change_of_level(texts[0], texts[1], counts[0], counts[1])
    change, reason = found if found is not None else (None, None)
    return {
        "change": None if change is None else text_hex(change),
        "reason": None if reason is None else text_hex(reason),
    }


def _report_type_counts(value: Any, name: str) -> dict[str, int]:
    """A map of report type names to counts of matched keys (RISK-61)."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    ):
        raise InvalidConfigurationError(f"RISK-61: {name} maps report type names to counts")
    return value


def interval_number_op(params: dict[str, Any]) -> dict[str, Any]:
    """Op interval_number (IOP-48): the ENIntervalNumber of a POSIX time in seconds (KS-2)."""
    return {"interval": interval_number(int_param(params, "unix_seconds"))}


def metadata_decode(params: dict[str, Any]) -> dict[str, Any]:
    """Op metadata_decode (IOP-49): the fields of 4 metadata octets, as a receiver reads them."""
    metadata = Metadata.from_bytes(hex_param(params, "metadata"))  # spec KS-9, KS-10
    return {
        "major": metadata.major,
        "minor": metadata.minor,
        "calibration_confidence": metadata.calibration_confidence,
        "tx_power": metadata.tx_power,
    }


def exposure_windows_op(params: dict[str, Any]) -> dict[str, Any]:
    """Op exposure_windows (IOP-51): scans and matched sightings as windows (RISK-4..6)."""
    scans = tuple(
        Scan(
            int_param(scan, "start_s"),
            tuple(
                ScanSighting(
                    int_param(s, "key"),
                    int_param(s, "attenuation_db"),
                    int_param(s, "calibration_confidence"),
                )
                for s in list_param(scan, "sightings")
            ),
        )
        for scan in list_param(params, "scans")
    )
    keys = [
        KeyReport(
            _report_type(optional_int_param(key, "report_type")),
            optional_int_param(key, "days_since_onset"),
        )
        for key in list_param(params, "keys")
    ]
    mapping = DiagnosisKeysDataMapping.from_json(params.get("mapping"))
    return {"windows": windows_to_json(exposure_windows(scans, keys, mapping))}


def _report_type(value: int | None) -> ReportType | None:
    try:
        return None if value is None else ReportType(value)
    except ValueError as exc:
        raise AdapterInputError(f"report_type {value} is not a GAEN report type (RISK-6)") from exc


def check_exposures_op(params: dict[str, Any]) -> dict[str, Any]:
    """Op check_exposures (IOP-50): a receiver's whole check at now_interval (MATCH-1..8)."""
    records = list_param(params, "keys")
    sightings = [
        Sighting(hex_param(s, "rpi"), int_param(s, "interval"), hex_param(s, "aem"))
        for s in list_param(params, "sightings")
    ]
    now = int_param(params, "now_interval")
    keys, kept, rejected = [], [], []
    for index, record in enumerate(records):
        fields = (hex_param(record, "key"), int_param(record, "rolling_start"))
        try:  # spec MATCH-1: an invalid key record is rejected on its own
            keys.append(TemporaryExposureKey(*fields, int_param(record, "rolling_period")))
        except ProtocolError as error:
            rejected.append({"key_index": index, "error": error.code})
        else:
            kept.append(index)
    result = check_exposures(keys, sightings, now)
    rejected += [{"key_index": kept[r.index], "error": r.code} for r in result.rejected_keys]
    return {
        "matches": [{"key_index": kept[k], "sighting_index": s} for k, s in result.matches],
        "rejected_keys": sorted(rejected, key=lambda r: r["key_index"]),
        "discarded_sightings": [
            {"sighting_index": r.index, "error": r.code} for r in result.discarded_sightings
        ],
    }


HANDLERS: dict[str, Handler] = {
    "recursive_keys": recursive_keys,
    "resolve_keys": resolve_keys,
    "exposure_level": exposure_level,
    "level_change": level_change,
    "derive_keys": derive_keys,
    "rpi": rpi,
    "aem_encrypt": aem_encrypt,
    "aem_decrypt": aem_decrypt,
    "advertisement_encode": advertisement_encode,
    "advertisement_decode": advertisement_decode,
    "match": match,
    "score_v2": score_v2,
    "score_cwa": score_cwa,
    "score_v1": score_v1,
    "interval_number": interval_number_op,
    "metadata_decode": metadata_decode,
    "check_exposures": check_exposures_op,
    "exposure_windows": exposure_windows_op,
}


# --- Export files and the transparency log (IOP-31..IOP-41) ---------------------------------


def _export_key(key: ExportKey) -> dict[str, Any]:
    return {
        "key_data": key.key_data.hex(),
        "rolling_start_interval_number": key.rolling_start_interval_number,
        "rolling_period": key.rolling_period,
        "transmission_risk_level": key.transmission_risk_level,
        "report_type": key.report_type,
        "days_since_onset_of_symptoms": key.days_since_onset_of_symptoms,
    }


def read_export(params: dict[str, Any]) -> tuple[ExportFile, ExportVerificationKey]:
    """The parsed archive of an export_parse request and the key to verify it with."""
    archive = hex_param(params, "zip")
    key = ExportVerificationKey(
        text_param(params, "key_id"),
        text_param(params, "key_version"),
        hex_param(params, "public_key"),
    )
    return ExportFile.from_zip(archive), key


def export_result(export: ExportFile) -> dict[str, Any]:
    """The export_parse result of a parsed archive (IOP-32)."""
    payload = export.payload
    return {
        "export_bin_sha256": sha256(export.export_bin).hexdigest(),
        "start_timestamp": payload.start_timestamp,
        "end_timestamp": payload.end_timestamp,
        "region": text_hex(payload.region),
        "batch_num": payload.batch_num,
        "batch_size": payload.batch_size,
        "signature_infos": [
            {
                "verification_key_id": text_hex(info.verification_key_id),
                "verification_key_version": text_hex(info.verification_key_version),
                "signature_algorithm": text_hex(info.signature_algorithm),
            }
            for info in payload.signature_infos
        ],
        "keys": [_export_key(k) for k in payload.keys],
        "revised_keys": [_export_key(k) for k in payload.revised_keys],
    }


def export_parse(params: dict[str, Any]) -> dict[str, Any]:
    """Op export_parse (IOP-32): parse an export file and verify it (EXP-1..EXP-10)."""
    export, key = read_export(params)
    export.verify(key)
    return export_result(export)


def leaf_hash_op(params: dict[str, Any]) -> dict[str, Any]:
    """Op leaf_hash (IOP-33): the RFC 9162 hash of one leaf's data (LOG-1)."""
    return {"leaf_hash": leaf_hash(hex_param(params, "leaf_data")).hex()}


def tree_hash(params: dict[str, Any]) -> dict[str, Any]:
    """Op tree_hash (IOP-33): the RFC 9162 tree hash of a list of leaf data (LOG-1)."""
    tree = MerkleTree(leaf_hash(data) for data in hex_list_param(params, "leaves"))
    return {"root_hash": tree.root().hex()}


def batch_leaf_decode(params: dict[str, Any]) -> dict[str, Any]:
    """Op batch_leaf_decode (IOP-34): a batch leaf's fields and leaf hash (LOG-2)."""
    leaf = BatchLeaf.from_bytes(hex_param(params, "leaf_data"))
    return {
        "batch_number": leaf.batch_number,
        "export_bin_sha256": leaf.export_bin_sha256.hex(),
        "leaf_hash": leaf.leaf_hash().hex(),
    }


def inclusion_verify(params: dict[str, Any]) -> dict[str, Any]:
    """Op inclusion_verify (IOP-35): check an inclusion proof (LOG-3)."""
    verify_inclusion(
        hex_param(params, "leaf_hash"),
        int_param(params, "leaf_index"),
        int_param(params, "tree_size"),
        hex_list_param(params, "proof"),
        hex_param(params, "root_hash"),
    )
    return {"verified": True}


def consistency_verify(params: dict[str, Any]) -> dict[str, Any]:
    """Op consistency_verify (IOP-36): check a consistency proof (LOG-4)."""
    verify_consistency(
        int_param(params, "size1"),
        int_param(params, "size2"),
        hex_param(params, "root1"),
        hex_param(params, "root2"),
        hex_list_param(params, "proof"),
    )
    return {"verified": True}


def note_verifier_key(params: dict[str, Any]) -> dict[str, Any]:
    """Op note_verifier_key (IOP-37): the fields of a verifier key string (LOG-7)."""
    verifier = NoteVerifier.from_vkey(text_param(params, "vkey"))
    return {
        "name": text_hex(verifier.name),
        "key_id": f"{verifier.key_id:08x}",
        "signature_type": verifier.signature_type,
        "public_key": verifier.public_key.hex(),
    }


def note_signer_key(params: dict[str, Any]) -> dict[str, Any]:
    """Op note_signer_key (IOP-38): the verifier key of a signer key string (LOG-7)."""
    return {"vkey": text_hex(NoteSigner.from_skey(text_param(params, "skey")).verifier().vkey)}


def note_sign(params: dict[str, Any]) -> dict[str, Any]:
    """Op note_sign (IOP-38): a note signed by one key, Ed25519 or cosignature/v1 (LOG-6, LOG-9)."""
    signer = NoteSigner.from_skey(text_param(params, "skey"), int_param(params, "signature_type"))
    text = text_param(params, "text")
    signature = signer.sign(text, optional_int_param(params, "timestamp"))
    return {"note": bytes(SignedNote(text, (signature,))).hex()}


def _signers(signatures: tuple[NoteSignature, ...]) -> list[dict[str, str]]:
    return [{"name": text_hex(s.key_name), "key_id": f"{s.key_id:08x}"} for s in signatures]


def note_verify(params: dict[str, Any]) -> dict[str, Any]:
    """Op note_verify (IOP-39): open a signed note with the given verifier keys (LOG-6)."""
    note = hex_param(params, "note")
    verifiers = [NoteVerifier.from_vkey(k) for k in text_list_param(params, "verifier_keys")]
    opened = open_note(note, verifiers)
    return {
        "text": text_hex(opened.text),
        "verified": _signers(tuple(v.signature for v in opened.verified)),
        "unverified": _signers(opened.unverified),
    }


def checkpoint_verify(params: dict[str, Any]) -> dict[str, Any]:
    """Op checkpoint_verify (IOP-40): accept a signed checkpoint or not (LOG-8..LOG-10)."""
    note = hex_param(params, "note")
    log = NoteVerifier.from_vkey(text_param(params, "log_key"))
    witnesses = [NoteVerifier.from_vkey(k) for k in text_list_param(params, "witness_keys")]
    quorum, now_s = int_param(params, "quorum"), optional_int_param(params, "now_s")
    verified = verify_checkpoint(note, log, witnesses, quorum, now_s)
    checkpoint = verified.checkpoint
    return {
        "origin": text_hex(checkpoint.origin),
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash.hex(),
        "extensions": [text_hex(line) for line in checkpoint.extensions],
        "cosignatures": [
            {"witness": text_hex(c.witness), "timestamp": c.timestamp_s}
            for c in verified.cosignatures
        ],
    }


LOG_HANDLERS: dict[str, Handler] = {
    "export_parse": export_parse,
    "leaf_hash": leaf_hash_op,
    "tree_hash": tree_hash,
    "batch_leaf_decode": batch_leaf_decode,
    "inclusion_verify": inclusion_verify,
    "consistency_verify": consistency_verify,
    "note_verifier_key": note_verifier_key,
    "note_signer_key": note_signer_key,
    "note_sign": note_sign,
    "note_verify": note_verify,
    "checkpoint_verify": checkpoint_verify,
}


# --- The Bluezone 2020 profile (IOP-42, IOP-43; appendix A1) ---------------------------------


def bz2020_blid(params: dict[str, Any]) -> dict[str, Any]:
    """Op bz2020_blid (IOP-42): the BLID a legacy phone broadcast at a time (BZ20-2..BZ20-4)."""
    found = blid_at(
        hex_param(params, "base_key"),
        int_param(params, "install_day"),
        int_param(params, "time"),
        int_param(params, "slots_per_day"),
    )
    return {"blid": found.blid.hex()}


def bz2020_advertisement_decode(params: dict[str, Any]) -> dict[str, Any]:
    """Op bz2020_advertisement_decode (IOP-43): strict decoding (BZ20-6..BZ20-8)."""
    return {"blid": LegacyAdvertisement.from_bytes(hex_param(params, "ad")).blid.hex()}


BZ2020_HANDLERS: dict[str, Handler] = {
    "bz2020_blid": bz2020_blid,
    "bz2020_advertisement_decode": bz2020_advertisement_decode,
}


def _error_code(exc: BaseException) -> str | None:
    """The spec's error name of a library error (CONV-4), sent as the answer's detail."""
    return getattr(exc, "code", None)


def package_version() -> str:
    """The installed distribution's version, or a marker for a source checkout."""
    try:
        return metadata.version("bluezone-protocol")
    except metadata.PackageNotFoundError:
        return "source-checkout"


def build_adapter(implementation: str = IMPLEMENTATION, **overrides: Handler) -> Adapter:
    """The reference adapter, or a variant with some handlers replaced (used by mutants)."""
    return Adapter(
        implementation=implementation,
        version=package_version(),
        handlers={**HANDLERS, **LOG_HANDLERS, **BZ2020_HANDLERS, **overrides},
        input_errors=(ProtocolError,),
        detail=_error_code,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the reference adapter on stdin/stdout, or on TCP with ``--listen HOST:PORT``."""
    return run(build_adapter(), argv)


if __name__ == "__main__":
    sys.exit(main())
