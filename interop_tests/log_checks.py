"""Shape and value checks of the export file and log ops' results (spec IOP-31..IOP-41).

Each op's result has a fixed shape: byte strings and texts as lowercase hex (IOP-8, IOP-31),
integers as JSON numbers (never booleans), optional key fields as null. Lists whose order the
spec leaves open (the signers of a note, the cosignatures of a checkpoint) compare as sets;
``key_count``, which the vectors give for files of many keys, compares with the number of
keys returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")

# A field's shape: "hex" (any length), an int n (hex of n bytes), "int", "int?" (or null),
# "true", ["list", SHAPE], or a dict of member shapes (an object).
Shape = Any

_HASH = 32
_KEY_FIELDS = {
    "key_data": 16,
    "rolling_start_interval_number": "int",
    "rolling_period": "int",
    "transmission_risk_level": "int?",
    "report_type": "int?",
    "days_since_onset_of_symptoms": "int?",
}
_SIGNER = {"name": "hex", "key_id": 4}

# spec IOP-32..IOP-40: the fields of each op's result.
LOG_RESULTS: Mapping[str, Mapping[str, Shape]] = {
    "export_parse": {
        "export_bin_sha256": _HASH,
        "start_timestamp": "int",
        "end_timestamp": "int",
        "region": "hex",
        "batch_num": "int",
        "batch_size": "int",
        "signature_infos": [
            "list",
            {
                "verification_key_id": "hex",
                "verification_key_version": "hex",
                "signature_algorithm": "hex",
            },
        ],
        "keys": ["list", _KEY_FIELDS],
        "revised_keys": ["list", _KEY_FIELDS],
    },
    "leaf_hash": {"leaf_hash": _HASH},
    "tree_hash": {"root_hash": _HASH},
    "batch_leaf_decode": {"batch_number": "int", "export_bin_sha256": _HASH, "leaf_hash": _HASH},
    "inclusion_verify": {"verified": "true"},
    "consistency_verify": {"verified": "true"},
    "note_verifier_key": {
        "name": "hex",
        "key_id": 4,
        "signature_type": "int",
        "public_key": _HASH,
    },
    "note_signer_key": {"vkey": "hex"},
    "note_sign": {"note": "hex"},
    "note_verify": {"text": "hex", "verified": ["list", _SIGNER], "unverified": ["list", _SIGNER]},
    "checkpoint_verify": {
        "origin": "hex",
        "tree_size": "int",
        "root_hash": _HASH,
        "extensions": ["list", "hex"],
        "cosignatures": ["list", {"witness": "hex", "timestamp": "int"}],
    },
}
LOG_OPS = frozenset(LOG_RESULTS)

# spec IOP-39, IOP-40: result lists compared as sets.
_SET_FIELDS = {"note_verify": ("verified", "unverified"), "checkpoint_verify": ("cosignatures",)}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shape_error(value: Any, shape: Shape, where: str) -> str | None:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} must be an object, got {value!r}"
        for name, member in shape.items():
            if name not in value:
                return f"{where} has no member {name!r}"
            problem = _shape_error(value[name], member, f"{where}.{name}")
            if problem:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} must be a list, got {value!r}"
        for index, item in enumerate(value):
            problem = _shape_error(item, shape[1], f"{where}[{index}]")
            if problem:
                return problem
        return None
    if shape == "true":
        return None if value is True else f"{where} must be true, got {value!r}"
    if shape in ("int", "int?"):
        if _is_int(value) or (shape == "int?" and value is None):
            return None
        kind = "an integer or null" if shape == "int?" else "an integer"
        return f"{where} must be {kind} (IOP-9), got {value!r}"
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        return f"{where} must be lowercase hex (IOP-8), got {value!r}"
    if _is_int(shape) and len(value) != 2 * shape:
        return f"{where} must hold {shape} bytes, got {len(value) // 2}"
    return None


def log_shape_error(op: str, result: Mapping[str, Any]) -> str | None:
    """Say what is wrong with the shape of an export or log op's result, or None."""
    return _shape_error(result, LOG_RESULTS[op], "result")


def _as_set(items: list[Any]) -> set[str]:
    return {json.dumps(item, sort_keys=True) for item in items}


def log_same(op: str, name: str, want: Any, result: Mapping[str, Any]) -> bool:
    """Whether the result agrees with the expected value of field ``name`` (IOP-22)."""
    if name == "key_count":
        return len(result["keys"]) == want
    got = result.get(name)
    if name in _SET_FIELDS.get(op, ()):
        return _as_set(got) == _as_set(want)
    return got == want and _same_types(got, want)


def _same_types(got: Any, want: Any) -> bool:
    """``True == 1`` in Python; the spec tells booleans and numbers apart."""
    if isinstance(want, dict):
        return all(_same_types(got[k], v) for k, v in want.items())
    if isinstance(want, list):
        return all(_same_types(g, w) for g, w in zip(got, want, strict=True))
    return isinstance(got, bool) == isinstance(want, bool)
