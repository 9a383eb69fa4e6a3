"""Replay of vector cases through adapter ops (spec IOP-21, IOP-22).

Each vector group type maps to the ops that can check it. A valid case passes when every
expected field equals the answer's; an invalid case passes when the adapter answers
``invalid_input``. Group types no op can drive are library-level: their cases are reported
``not_applicable`` with the reason, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bluezone.interop_tests.checks import Context, check_fields, result_shape_error
from bluezone.interop_tests.model import VECTOR, CheckFailed, InteropTest
from bluezone.interop_tests.replay_bz2020 import (
    BZ2020_GROUP_OPS,
    BZ2020_LIBRARY_LEVEL,
    BZ2020_PLANNERS,
)
from bluezone.interop_tests.replay_log import LOG_GROUP_OPS, LOG_LIBRARY_LEVEL, LOG_PLANNERS
from bluezone.interop_tests.steps import NotApplicable as _NotApplicable
from bluezone.interop_tests.steps import Step
from bluezone.interop_tests.steps import expected as _expected
from bluezone.interop_tests.steps import need as _need
from bluezone.interop_tests.vectors import VectorCase

# spec IOP-21: the ops each group type drives.
GROUP_OPS: dict[str, tuple[str, ...]] = {
    "KeyDerivation": ("derive_keys",),
    "RpiDerivation": ("rpi",),
    "AemEncryption": ("rpi", "aem_encrypt", "aem_decrypt"),
    "AdvertisementEncode": ("advertisement_encode",),
    "AdvertisementDecode": ("advertisement_decode",),
    "Match": ("match",),
    "GaenV2DailySummaries": ("score_v2",),
    "CwaRiskCalculation": ("score_cwa",),
    "GaenV1Summary": ("score_v1",),
    "RecursiveKeys": ("recursive_keys",),
    "ResolveRevisedKeys": ("resolve_keys",),
    "ExposureLevel": ("exposure_level",),
    "LevelChange": ("level_change",),
    "IntervalNumber": ("interval_number",),
    "MetadataDecode": ("metadata_decode",),
    "ExposureCheck": ("check_exposures",),
    "ExposureWindows": ("exposure_windows",),
    **LOG_GROUP_OPS,
    **BZ2020_GROUP_OPS,
}

# spec IOP-21: group types checked only against the library, with the reason.
LIBRARY_LEVEL: dict[str, str] = {
    "RpiFromRpik": "no op takes an RPIK; rpi derives from the TEK",
    "KeyValidity": "no op builds keys on their own; check_exposures rejects invalid key records",
    "NewKey": "no op draws new keys; key generation takes device time and randomness",
    "Embargo": "a rule on a key's fields without key bytes; the ExposureCheck cases drive the "
    "embargo through check_exposures (MATCH-8)",
    "TotpCode": "the health authority portal's second factor (PORTAL-14), not a device's "
    "protocol; the portal's own tests drive these vectors",
    "TotpMatch": "the health authority portal's second factor (PORTAL-14), not a device's "
    "protocol; the portal's own tests drive these vectors",
    **LOG_LIBRARY_LEVEL,
    **BZ2020_LIBRARY_LEVEL,
}

# An RPI used where an invalid case gives none; its value cannot make the answer valid.
_ANY_RPI = "00" * 16


def vector_tests(cases: Iterable[VectorCase]) -> list[InteropTest]:
    """The graded tests of every vector case, in file order."""
    tests: list[InteropTest] = []
    for case in cases:
        try:
            steps = plan(case)
        except _NotApplicable as exc:
            tests.append(_not_applicable(case, str(exc)))
            continue
        tests.extend(_step_test(case, step) for step in steps)
    return tests


def plan(case: VectorCase) -> list[Step]:
    """The requests that check ``case``; raise _NotApplicable when no op can."""
    if case.group_type in LIBRARY_LEVEL:
        raise _NotApplicable(
            f"library-level group {case.group_type}: {LIBRARY_LEVEL[case.group_type]}"
        )
    planner = _PLANNERS.get(case.group_type)
    if planner is None:
        raise _NotApplicable(f"no adapter op drives group type {case.group_type}")
    return planner(case)


def _key_derivation(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "tek")
    return [Step("derive_keys", params, _expected(case, "rpik", "aemk"))]


def _rpi_derivation(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "tek", "interval")
    return [Step("rpi", params, _expected(case, "rpi"))]


def _aem_encryption(case: VectorCase) -> list[Step]:
    inputs = _need(case.inputs, case, "tek", "interval", "metadata")
    tek, interval, metadata = inputs["tek"], inputs["interval"], inputs["metadata"]
    if case.result != "invalid":
        out = _need(case.expected, case, "rpi", "aem")
        return [
            Step("rpi", {"tek": tek, "interval": interval}, {"rpi": out["rpi"]}),
            Step(
                "aem_encrypt",
                {"tek": tek, "rpi": out["rpi"], "metadata": metadata},
                {"aem": out["aem"]},
            ),
            Step(
                "aem_decrypt",
                {"tek": tek, "rpi": out["rpi"], "aem": out["aem"]},
                {"metadata": metadata},
            ),
        ]
    error = case.expected.get("error")
    rpi = case.inputs.get("rpi") or case.expected.get("rpi")
    note = "" if rpi else "rpi is 16 zero octets, a placeholder: the case gives none"
    params = {"tek": tek, "rpi": rpi or _ANY_RPI, "metadata": metadata}
    encrypt = Step("aem_encrypt", params, None, note)
    derive = Step("rpi", {"tek": tek, "interval": interval}, None)
    if error == "invalid_interval":
        return [derive]
    if error == "invalid_key":
        return [derive, encrypt]
    if error == "invalid_metadata":
        return [encrypt]
    raise _NotApplicable(f"AemEncryption error {error} is a library-level check")


def _advertisement_encode(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "rpi", "aem")
    if "flags" in case.inputs:
        params["flags"] = case.inputs["flags"]
    return [Step("advertisement_encode", params, _expected(case, "ad"))]


def _advertisement_decode(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "ad")
    return [Step("advertisement_decode", params, _expected(case, "rpi", "aem"))]


def _match(case: VectorCase) -> list[Step]:
    inputs = _need(case.inputs, case, "keys", "sightings")
    try:
        keys = [
            {name: key[name] for name in ("key", "rolling_start", "rolling_period")}
            for key in inputs["keys"]
        ]
        sightings = [{name: s[name] for name in ("rpi", "interval")} for s in inputs["sightings"]]
    except (KeyError, TypeError) as exc:
        raise _NotApplicable(f"Match case has a key or sighting without {exc}") from exc
    return [Step("match", {"keys": keys, "sightings": sightings}, _expected(case, "matches"))]


# spec IOP-27..IOP-29: the fields a risk op's answer is compared on.
_CWA_RESULT = (
    "total_risk_level",
    "most_recent_day_with_low_risk",
    "most_recent_day_with_high_risk",
    "number_of_days_with_low_risk",
    "number_of_days_with_high_risk",
    "total_minimum_distinct_encounters_with_low_risk",
    "total_minimum_distinct_encounters_with_high_risk",
)
_V1_RESULT = (
    "matched_exposures",
    "maximum_risk_score",
    "summation_risk_score",
    "days_since_last_exposure",
    "attenuation_durations_minutes",
)


def _risk_params(case: VectorCase, *optional: str) -> dict[str, Any]:
    """``config`` and ``windows`` of a risk case, plus the optional inputs it carries."""
    params = _need(case.inputs, case, "config", "windows")
    params.update({name: case.inputs[name] for name in optional if name in case.inputs})
    return params


def _score_v2(case: VectorCase) -> list[Step]:
    params = _risk_params(case, "today")
    return [Step("score_v2", params, _expected(case, "daily_summaries"))]


def _score_cwa(case: VectorCase) -> list[Step]:
    return [Step("score_cwa", _risk_params(case, "platform"), _expected(case, *_CWA_RESULT))]


def _score_v1(case: VectorCase) -> list[Step]:
    params = _risk_params(case)
    params.update(_need(case.inputs, case, "today"))
    return [Step("score_v1", params, _expected(case, *_V1_RESULT))]


def _inputs_step(op: str, *results: str) -> Callable[[VectorCase], list[Step]]:
    """A planner that sends a case's inputs as they are and expects ``results`` back."""

    def planner(case: VectorCase) -> list[Step]:
        return [Step(op, dict(case.inputs), _expected(case, *results))]

    return planner


def _interval_number(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "unix_seconds")
    return [Step("interval_number", params, _expected(case, "interval"))]


def _metadata_decode(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "metadata")
    fields = ("major", "minor", "calibration_confidence", "tx_power")
    return [Step("metadata_decode", params, _expected(case, *fields))]


def _exposure_windows(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "scans", "keys", "mapping")
    return [Step("exposure_windows", params, _expected(case, "windows"))]


def _check_exposures(case: VectorCase) -> list[Step]:
    params = _need(case.inputs, case, "keys", "sightings", "now_interval")
    fields = ("matches", "rejected_keys", "discarded_sightings")
    return [Step("check_exposures", params, _expected(case, *fields))]


_PLANNERS: dict[str, Callable[[VectorCase], list[Step]]] = {
    "RecursiveKeys": _inputs_step("recursive_keys", "kept", "dropped"),
    "ResolveRevisedKeys": _inputs_step("resolve_keys", "keys"),
    "ExposureLevel": _inputs_step("exposure_level", "level", "day", "score"),
    "LevelChange": _inputs_step("level_change", "change", "reason"),
    "KeyDerivation": _key_derivation,
    "RpiDerivation": _rpi_derivation,
    "AemEncryption": _aem_encryption,
    "AdvertisementEncode": _advertisement_encode,
    "AdvertisementDecode": _advertisement_decode,
    "Match": _match,
    "GaenV2DailySummaries": _score_v2,
    "CwaRiskCalculation": _score_cwa,
    "GaenV1Summary": _score_v1,
    "IntervalNumber": _interval_number,
    "MetadataDecode": _metadata_decode,
    "ExposureCheck": _check_exposures,
    "ExposureWindows": _exposure_windows,
    **LOG_PLANNERS,
    **BZ2020_PLANNERS,
}


def _step_test(case: VectorCase, step: Step) -> InteropTest:
    def run(ctx: Context) -> None:
        replay_step(ctx, case, step)

    return InteropTest(
        id=f"{case.topic}/tc{case.tc_id}/{step.op}",
        topic=case.topic,
        rules=case.rules,
        ops=frozenset({step.op}),
        run=run,
        kind=VECTOR,
        comment=case.comment,
        tc_id=case.tc_id,
        source=case.source,
        group_type=case.group_type,
    )


def replay_step(ctx: Context, case: VectorCase, step: Step) -> None:
    """Send one step and grade the answer (IOP-22)."""
    why = f"{case.source} tcId {case.tc_id}" + (f"; {step.note}" if step.note else "")
    if step.expected is None:
        ctx.expect_error(step.op, step.params, f"{why}, expected {case.expected.get('error')}")
        return
    answer = ctx.call(step.op, step.params)
    if case.result == "acceptable" and answer.error_code == "invalid_input":
        return
    if answer.result is None:
        raise CheckFailed(
            f"expected a result ({why}), got error {answer.error_code}",
            {"op": step.op, "params": step.params},
            step.expected,
            answer.as_json(),
        )
    problem = result_shape_error(step.op, answer.result)
    if problem:
        raise CheckFailed(
            problem, {"op": step.op, "params": step.params}, step.expected, answer.as_json()
        )
    check_fields(step.op, step.params, step.expected, answer.result, why)


def _not_applicable(case: VectorCase, reason: str) -> InteropTest:
    return InteropTest(
        id=f"{case.topic}/tc{case.tc_id}",
        topic=case.topic,
        rules=case.rules,
        ops=frozenset(),
        run=None,
        kind=VECTOR,
        comment=case.comment,
        tc_id=case.tc_id,
        source=case.source,
        group_type=case.group_type,
        not_applicable=reason,
    )
