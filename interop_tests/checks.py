"""What a test sees: a context that sends requests and checks answers against the spec.

Result fields are checked for shape before any test compares them (IOP-8, IOP-11..IOP-17),
so a test never trips over a missing field or a number where hex was due.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import Any

from bluezone.interop_tests.log_checks import LOG_OPS, log_same, log_shape_error
from bluezone.interop_tests.model import CheckFailed, PreconditionFailed
from bluezone.interop_tests.risk_checks import RISK_OPS, risk_shape_error, same
from bluezone.interop_tests.session import AdapterSession, Answer, Hello

_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")

# spec IOP-11..IOP-17: the fields each op's result carries, and their byte lengths
# (None: any length; "matches": the match list).
RESULT_FIELDS: Mapping[str, Mapping[str, int | str | None]] = {
    "derive_keys": {"rpik": 16, "aemk": 16},
    "rpi": {"rpi": 16},
    "aem_encrypt": {"aem": 4},
    "aem_decrypt": {"metadata": 4},
    "advertisement_encode": {"ad": None},
    "advertisement_decode": {"rpi": 16, "aem": 4},
    "match": {"matches": "matches"},
    # spec IOP-42, IOP-43: the Bluezone 2020 profile (appendix A1).
    "bz2020_blid": {"blid": 12},
    "bz2020_advertisement_decode": {"blid": 12},
    # spec IOP-48..IOP-51: the receiver's ops
    "interval_number": {"interval": "int"},
    "metadata_decode": {
        "major": "int",
        "minor": "int",
        "calibration_confidence": "int",
        "tx_power": "int",
    },
    "check_exposures": {
        "matches": "matches",
        "rejected_keys": "key_index",
        "discarded_sightings": "sighting_index",
    },
    "exposure_windows": {"windows": "windows"},
}
# Result fields compared as sets of (index, error) pairs, their order left open (IOP-50).
_REJECTIONS = ("rejected_keys", "discarded_sightings")


def result_shape_error(op: str, result: Mapping[str, Any]) -> str | None:
    """Say what is wrong with the shape of ``op``'s result, or None if it is well formed."""
    if op in RISK_OPS:
        return risk_shape_error(op, result)
    if op in LOG_OPS:
        return log_shape_error(op, result)
    for name, length in RESULT_FIELDS.get(op, {}).items():
        value = result.get(name)
        if length == "matches":
            problem = _matches_shape_error(value)
            if problem:
                return problem
            continue
        if length == "windows":
            if not isinstance(value, list) or not all(isinstance(w, dict) for w in value):
                return f"result field 'windows' must be a list of objects, got {value!r}"
            continue
        if length == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                return f"result field {name!r} must be an integer (IOP-9), got {value!r}"
            continue
        if length in ("key_index", "sighting_index"):
            problem = _rejections_shape_error(name, str(length), value)
            if problem:
                return problem
            continue
        if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
            return f"result field {name!r} must be lowercase hex (IOP-8), got {value!r}"
        if length is not None and len(value) != 2 * length:
            return f"result field {name!r} must hold {length} bytes, got {len(value) // 2}"
    return None


def _matches_shape_error(value: Any) -> str | None:
    """Check the match list: objects with integer key_index and sighting_index (IOP-17)."""
    if not isinstance(value, list):
        return f"result field 'matches' must be a list, got {value!r}"
    for item in value:
        fields = (
            (item.get("key_index"), item.get("sighting_index")) if isinstance(item, dict) else ()
        )
        if len(fields) != 2 or not all(
            isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in fields
        ):
            return f"each match needs integer key_index and sighting_index, got {item!r}"
    return None


def _rejections_shape_error(name: str, index: str, value: Any) -> str | None:
    """Check a list of rejections: objects with an integer ``index`` and an error name."""
    if not isinstance(value, list):
        return f"result field {name!r} must be a list, got {value!r}"
    for item in value:
        position = item.get(index) if isinstance(item, dict) else None
        error = item.get("error") if isinstance(item, dict) else None
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            return f"each of {name!r} needs an integer {index}, got {item!r}"
        if not isinstance(error, str):
            return f"each of {name!r} needs an error name, got {item!r}"
    return None


def _rejection_set(name: str, items: list[dict[str, Any]]) -> list[tuple[int, str]]:
    index = "key_index" if name == "rejected_keys" else "sighting_index"
    return sorted((item[index], item["error"]) for item in items)


def _canonical(windows: list[Any]) -> list[str]:
    """Windows as a multiset: their order is left open (IOP-51)."""
    return sorted(json.dumps(w, sort_keys=True) for w in windows)


def match_pairs(result: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The (key_index, sighting_index) pairs of a well-formed match result, sorted."""
    return sorted((m["key_index"], m["sighting_index"]) for m in result["matches"])


class Context:
    """The handle a test runs with: the session, the hello answer and a seeded random source."""

    def __init__(self, session: AdapterSession, hello: Hello, rng: random.Random) -> None:
        self.session = session
        self.hello = hello
        self.rng = rng

    def call(self, op: str, params: dict[str, Any]) -> Answer:
        """Send a request and return its answer (framing already checked)."""
        return self.session.call(op, params)

    def result(self, op: str, params: dict[str, Any], why: str = "") -> dict[str, Any]:
        """Return the result of a request the spec says must succeed; fail the test otherwise."""
        request = {"op": op, "params": params}
        answer = self.call(op, params)
        if answer.result is None:
            raise CheckFailed(
                f"expected a result{_because(why)}, got error {answer.error_code}",
                request,
                "result",
                answer.as_json(),
            )
        problem = result_shape_error(op, answer.result)
        if problem:
            raise CheckFailed(problem, request, "well-formed result", answer.as_json())
        return answer.result

    def prerequisite(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        """Like ``result``, for an answer the test builds on: a bad one is a failed precondition."""
        try:
            return self.result(op, params)
        except CheckFailed as exc:
            raise PreconditionFailed(
                f"{op} answer needed by this test is unusable: {exc.reason}"
            ) from exc

    def expect_error(
        self, op: str, params: dict[str, Any], why: str, code: str = "invalid_input"
    ) -> None:
        """Require an error answer with ``code`` (IOP-5)."""
        answer = self.call(op, params)
        if answer.error_code != code:
            got = "a result" if answer.result is not None else f"error {answer.error_code}"
            raise CheckFailed(
                f"expected error {code}{_because(why)}, got {got}",
                {"op": op, "params": params},
                {"error": {"code": code}},
                answer.as_json(),
            )

    def expect_equal(
        self, op: str, params: dict[str, Any], expected: dict[str, Any], why: str = ""
    ) -> dict[str, Any]:
        """Require a result whose fields equal ``expected`` (matches compared as sets)."""
        result = self.result(op, params, why)
        check_fields(op, params, expected, result, why)
        return result

    def random_bytes(self, n: int) -> str:
        """``n`` random bytes as hex, from the test's seeded source."""
        return self.rng.randbytes(n).hex()


def check_fields(
    op: str, params: dict[str, Any], expected: dict[str, Any], result: dict[str, Any], why: str
) -> None:
    """Fail unless each expected field equals the result's (matches compared as sets, risk
    scores within the tolerance of RISK-7)."""
    for name, want in expected.items():
        got = result.get(name)
        if name == "matches":
            equal = match_pairs(result) == sorted(
                (m["key_index"], m["sighting_index"]) for m in want
            )
        elif op == "exposure_windows" and name == "windows":
            equal = _canonical(got) == _canonical(want)
        elif name in _REJECTIONS:
            equal = _rejection_set(name, got) == _rejection_set(name, want)
        elif op in RISK_OPS:
            equal = same(want, got, name)
        elif op in LOG_OPS:
            equal = log_same(op, name, want, result)
        else:
            equal = got == want
        if not equal:
            raise CheckFailed(
                f"{name} differs from the expected value{_because(why)}",
                {"op": op, "params": params},
                expected,
                result,
            )


def _because(why: str) -> str:
    return f" ({why})" if why else ""
