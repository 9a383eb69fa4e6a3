"""Our library behind the adapter protocol: ``python -m bluezone.interop_tests.reference_adapter``.

The only module of ``interop_tests`` that imports ``protocol``: the suite judges the
library through this adapter exactly as it judges a foreign implementation through its
own. ``--listen HOST:PORT`` serves TCP connections instead of stdin/stdout (IOP-20).
"""

from __future__ import annotations

import sys
from hashlib import sha256
from importlib import metadata
from typing import Any

from bluezone.interop_tests.adapter_kit import (
    Adapter,
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
    ProtocolError,
    Sighting,
    TemporaryExposureKey,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    find_matches,
)
from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile, ExportKey, ExportVerificationKey
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from bluezone.protocol.note import NoteSignature, NoteSigner, NoteVerifier, SignedNote, open_note
from bluezone.protocol.revisions import resolve_revisions, split_recursive
from bluezone.protocol.risk.api import (
    exposure_level_json,
    level_change_json,
    score_cwa_json,
    score_v1_json,
    score_v2_json,
)

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


def score_v2(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v2 (IOP-27): GAEN v2 daily summaries of the windows (RISK-10..RISK-14)."""
    return score_v2_json(params.get("config"), params.get("windows"), params.get("today"))


def score_cwa(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_cwa (IOP-28): the Corona-Warn-App verdict over the windows (RISK-30..RISK-39)."""
    return score_cwa_json(params.get("config"), params.get("windows"))


def score_v1(params: dict[str, Any]) -> dict[str, Any]:
    """Op score_v1 (IOP-29): the GAEN v1 summary of the windows on day today (RISK-20..25)."""
    return score_v1_json(params.get("config"), params.get("windows"), params.get("today"))


def _key_param(item: dict[str, Any]) -> TemporaryExposureKey:
    """A key given as {key_data, rolling_start, rolling_period} (IOP-42, IOP-43)."""
    return TemporaryExposureKey(
        hex_param(item, "key_data"),
        int_param(item, "rolling_start"),
        int_param(item, "rolling_period"),
    )


def _optional_int(item: dict[str, Any], name: str) -> int | None:
    return None if item.get(name) is None else int_param(item, name)


def recursive_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op recursive_keys (IOP-42): the keys a recursive upload keeps and drops (SRV-21)."""
    keys = [_key_param(item) for item in list_param(params, "keys")]
    split = split_recursive(keys, int_param(params, "exposure_interval"))
    return {"kept": list(split.kept), "dropped": list(split.dropped)}


def resolve_keys(params: dict[str, Any]) -> dict[str, Any]:
    """Op resolve_keys (IOP-43): keys resolved across batches in log order (MATCH-11)."""
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


def exposure_level(params: dict[str, Any]) -> dict[str, Any]:
    """Op exposure_level (IOP-44): F1, F2 or none, its day and score (RISK-59)."""
    found = exposure_level_json(params)
    return {**found, "level": text_hex(found["level"])}


def level_change(params: dict[str, Any]) -> dict[str, Any]:
    """Op level_change (IOP-45): the change between two levels and why (RISK-61)."""
    texts = {name: text_param(params, name) for name in ("previous", "current")}
    found = level_change_json({**params, **texts})
    return {name: None if value is None else text_hex(value) for name, value in found.items()}


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
        handlers={**HANDLERS, **LOG_HANDLERS, **overrides},
        input_errors=(ProtocolError,),
        detail=_error_code,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the reference adapter on stdin/stdout, or on TCP with ``--listen HOST:PORT``."""
    return run(build_adapter(), argv)


if __name__ == "__main__":
    sys.exit(main())
