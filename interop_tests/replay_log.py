"""Replay of the export file and transparency log vectors (spec IOP-21, IOP-31..IOP-41).

The vector files of section 4 name their fields in camelCase; the ops take and return the
same values under snake_case names (IOP-26), so each planner picks the case's inputs, renames
them, and expects the renamed expected fields back. Texts stay hex of their UTF-8 octets, as
the files carry them (IOP-31).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bluezone.interop_tests.steps import NotApplicable, Step, need
from bluezone.interop_tests.vectors import VectorCase

# spec IOP-21: the ops each group type of section 4 drives.
LOG_GROUP_OPS: dict[str, tuple[str, ...]] = {
    "ExportFile": ("export_parse",),
    "LeafHash": ("leaf_hash",),
    "TreeHash": ("tree_hash",),
    "BatchLeaf": ("batch_leaf_decode",),
    "InclusionProof": ("inclusion_verify",),
    "ConsistencyProof": ("consistency_verify",),
    "NoteVerifierKey": ("note_verifier_key",),
    "NoteSignerKey": ("note_signer_key",),
    "NoteSign": ("note_sign",),
    "NoteOpen": ("note_verify",),
    "Checkpoint": ("checkpoint_verify",),
}

# spec IOP-21: groups of the key server's HTTP API, which no adapter op covers.
LOG_LIBRARY_LEVEL: dict[str, str] = {
    "KeyListHmac": "no op covers the upload API; the key-list HMAC (SRV-5) is sent over HTTP",
    "UploadKeys": "no op covers the key server; it checks uploaded keys (SRV-6) on its clock",
    "VerificationCode": "no op covers the key server; it issues and checks codes (SRV-3)",
    "TekmacForms": "no op covers the GAEN-compatible API; its HMACs (GAPI-6) go over HTTP",
    "CertificateCheck": "no op covers the GAEN-compatible API; the key server checks (GAPI-7)",
}

# spec IOP-35, IOP-36: the result of a proof that verifies.
VERIFIED = {"verified": True}

_CAPITAL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """The op's name for a vector field: ``leafIndex`` -> ``leaf_index`` (IOP-26)."""
    return _CAPITAL.sub(r"_\1", name).lower()


def snake_keys(value: Any) -> Any:
    """``value`` with every object member renamed to snake_case, at every depth."""
    if isinstance(value, dict):
        return {snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def _step(
    op: str,
    case: VectorCase,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    result: dict[str, Any] | None = None,
) -> list[Step]:
    """One request of ``op`` with the case's ``inputs`` (and ``optional`` ones it has)."""
    params = need(case.inputs, case, *inputs)
    params.update({name: case.inputs[name] for name in optional if name in case.inputs})
    if case.result == "invalid":
        return [Step(op, snake_keys(params), None)]
    want = result if result is not None else need(case.expected, case, *outputs)
    return [Step(op, snake_keys(params), snake_keys(want))]


def _export_file(case: VectorCase) -> list[Step]:
    inputs = need(case.inputs, case, "archive", "verificationKey")
    key = inputs["verificationKey"]
    if not isinstance(key, dict):
        raise NotApplicable("ExportFile case has no verification key; export_parse needs one")
    params = {"zip": inputs["archive"], **snake_keys(need(key, case, "keyId", "keyVersion"))}
    params["public_key"] = need(key, case, "publicKeyDer")["publicKeyDer"]
    if case.result == "invalid":
        return [Step("export_parse", params, None)]
    names = ["exportBinSha256", "startTimestamp", "endTimestamp", "region", "batchNum"]
    names += ["batchSize", "signatureInfos", "keyCount", "revisedKeys"]
    want = need(case.expected, case, *names)
    if "keys" in case.expected:  # a file of many keys lists only their count
        want["keys"] = case.expected["keys"]
    return [Step("export_parse", params, snake_keys(want))]


def _planner(
    op: str,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    result: dict[str, Any] | None = None,
) -> Callable[[VectorCase], list[Step]]:
    def plan(case: VectorCase) -> list[Step]:
        return _step(op, case, inputs, outputs, optional, result)

    return plan


LOG_PLANNERS: dict[str, Callable[[VectorCase], list[Step]]] = {
    "ExportFile": _export_file,
    "LeafHash": _planner("leaf_hash", ("leafData",), ("leafHash",)),
    "TreeHash": _planner("tree_hash", ("leaves",), ("rootHash",)),
    "BatchLeaf": _planner(
        "batch_leaf_decode", ("leafData",), ("batchNumber", "exportBinSha256", "leafHash")
    ),
    "InclusionProof": _planner(
        "inclusion_verify",
        ("leafHash", "leafIndex", "treeSize", "proof", "rootHash"),
        result=VERIFIED,
    ),
    "ConsistencyProof": _planner(
        "consistency_verify", ("size1", "size2", "root1", "root2", "proof"), result=VERIFIED
    ),
    "NoteVerifierKey": _planner(
        "note_verifier_key", ("vkey",), ("name", "keyId", "signatureType", "publicKey")
    ),
    "NoteSignerKey": _planner("note_signer_key", ("skey",), ("vkey",)),
    "NoteSign": _planner(
        "note_sign", ("skey", "signatureType", "text"), ("note",), optional=("timestamp",)
    ),
    "NoteOpen": _planner(
        "note_verify", ("note", "verifierKeys"), ("text", "verified", "unverified")
    ),
    "Checkpoint": _planner(
        "checkpoint_verify",
        ("note", "logKey", "witnessKeys", "quorum"),
        ("origin", "treeSize", "rootHash", "extensions", "cosignatures"),
        optional=("nowS",),
    ),
}
