"""Generate spec/vectors/totp.json: the portal's one-time codes (PORTAL-14).

Expected values come from a short RFC 4226 / RFC 6238 implementation written here from the
text of spec PORTAL-14 (hmac and hashlib only), independent of the portal's code. The code
group carries RFC 6238 Appendix B's SHA-1 rows (8 digits, as published) and the same times
with the portal's 6 digits; the match group pins the acceptance window, the earliest-step
choice and the code's form. Nothing is random, so the file is the same bytes on every run.

Usage: python spec/tools/generate_totp_vectors.py
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
from pathlib import Path
from typing import Any

from reference_impl import SpecError
from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

RFC_SOURCE = "RFC 6238 Appendix B (SHA-1 rows)"
RFC_SECRET = b"12345678901234567890"  # the RFC's SHA-1 seed, ASCII
OTHER_SECRET = RFC_SECRET[::-1]
STEP_S = 30
DIGITS = 6
INVALID = "totp_invalid"
# (unix time, code) as RFC 6238 Appendix B prints them for SHA-1.
RFC_ROWS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
# Found by searching the steps of RFC_SECRET: steps 153567 and 153569 share the code 468457.
TWIN_STEPS = (153567, 153569)

NOTES = {
    "rfc_published": "RFC 6238's published code (8 digits) for the time",
    "six_digits": "the portal's 6-digit code: the RFC value's last 6 digits",
    "window_edge": "a code of the step before or after the current one",
    "outside_window": "a code of a step two or more away from the current one",
    "epoch": "at the first step, where the step before does not exist",
    "earliest_step": "a code that is the code of two steps of the window",
    "grouped": "a code typed with a space, as authenticator apps show it",
    "wrong_code": "6 digits that are not a code of the window",
    "other_secret": "the current code of another secret",
    "malformed": "not exactly 6 ASCII digits once spaces are removed",
}


def hotp(secret: bytes, counter: int, digits: int) -> str:
    """RFC 4226 section 5: HMAC-SHA1 of the 8-byte counter, dynamic truncation, mod 10^d."""
    mac = hmac.new(secret, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[19] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{binary % 10**digits:0{digits}d}"


def code_of(inputs: dict[str, Any]) -> dict[str, Any]:
    """RFC 6238 section 4: the step T = floor(now_s / 30) and its code."""
    step = inputs["now_s"] // STEP_S
    code = hotp(bytes.fromhex(inputs["secret"]), step, inputs["digits"])
    return {"step": step, "code": text_hex(code)}


def match(inputs: dict[str, Any]) -> dict[str, Any]:
    """PORTAL-14: the earliest step of now-1, now, now+1 (none below 0) whose code is typed."""
    typed = bytes.fromhex(inputs["code"]).decode("utf-8").replace(" ", "")
    if len(typed) != DIGITS or any(c not in "0123456789" for c in typed):
        raise SpecError(INVALID, "PORTAL-14")
    now = inputs["now_s"] // STEP_S
    for step in (now - 1, now, now + 1):
        if step >= 0 and hotp(bytes.fromhex(inputs["secret"]), step, DIGITS) == typed:
            return {"step": step}
    raise SpecError(INVALID, "PORTAL-14")


def code_group() -> Group:
    group = Group("TotpCode", "the code of a unix time: RFC 6238 with HMAC-SHA1", code_of)
    secret = RFC_SECRET.hex()
    for now_s, code in RFC_ROWS:
        inputs = {"secret": secret, "now_s": now_s, "digits": 8}
        group.add(
            f"RFC 6238 SHA-1 at {now_s}: {code}",
            ["PORTAL-14"],
            ["rfc_published"],
            inputs,
            expected={"code": text_hex(code)},
            source=RFC_SOURCE,
        )
    for now_s, code in RFC_ROWS:
        group.add(
            f"6 digits at {now_s}: {code[2:]}",
            ["PORTAL-14"],
            ["six_digits"],
            {"secret": secret, "now_s": now_s, "digits": DIGITS},
            expected={"code": text_hex(code[2:])},
        )
    return group


def _at(step: int, secret: bytes = RFC_SECRET) -> str:
    return hotp(secret, step, DIGITS)


def match_group() -> Group:
    group = Group("TotpMatch", "a typed code checked at a unix time, one step either side", match)
    t_a, t_b = 1111111109, 1111111111  # RFC rows in consecutive steps 37037036, 37037037
    twin_now = (TWIN_STEPS[0] + 1) * STEP_S
    cases: list[tuple[str, list[str], str, int, int | None]] = [
        ("the current step's code", ["six_digits"], "287082", 59, 1),
        ("the code of the step before", ["six_digits", "window_edge"], "081804", t_b, 37037036),
        ("the code of the step after", ["six_digits", "window_edge"], "050471", t_a, 37037037),
        ("step 1's code at 89, step 2's last second", ["window_edge"], _at(1), 89, 1),
        ("step 1's code at 90, step 3's first second", ["outside_window"], _at(1), 90, None),
        ("two steps before", ["outside_window"], _at(10), 12 * STEP_S, None),
        ("two steps after", ["outside_window"], _at(14), 12 * STEP_S, None),
        ("at time 0: step 0's code", ["epoch"], _at(0), 0, 0),
        ("at time 0: step 1's code", ["epoch", "window_edge"], _at(1), 0, 1),
        ("steps 153567 and 153569 share a code", ["earliest_step"], _at(153569), twin_now, 153567),
        ("the code grouped 3 + 3", ["grouped"], "287 082", 59, 1),
        ("spaces around and inside", ["grouped"], " 28 70 82 ", 59, 1),
        ("a wrong code", ["wrong_code"], "000000", 59, None),
        ("another secret's current code", ["other_secret"], _at(1, OTHER_SECRET), 59, None),
        ("the RFC's 8 digits", ["malformed", "rfc_published"], "94287082", 59, None),
        ("5 digits", ["malformed"], "87082", 59, None),
        ("7 digits", ["malformed"], "4287082", 59, None),
        ("empty", ["malformed"], "", 59, None),
        ("a letter", ["malformed"], "28708a", 59, None),
        ("a sign", ["malformed"], "+87082", 59, None),
        ("a tab inside", ["malformed"], "287\t082", 59, None),
        ("a newline after", ["malformed"], "287082\n", 59, None),
        ("fullwidth digits", ["malformed"], "\uff12\uff18\uff17\uff10\uff18\uff12", 59, None),
        ("Arabic-Indic digits", ["malformed"], "\u0662\u0668\u0667\u0660\u0668\u0662", 59, None),
    ]
    for comment, flags, code, now_s, step in cases:
        inputs = {"secret": RFC_SECRET.hex(), "code": text_hex(code), "now_s": now_s}
        if step is None:
            group.add(comment, ["PORTAL-14"], flags, inputs, error=INVALID)
        else:
            group.add(comment, ["PORTAL-14"], flags, inputs, expected={"step": step})
    return group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    if _at(TWIN_STEPS[0]) != _at(TWIN_STEPS[1]):
        raise AssertionError("TWIN_STEPS do not share a code")
    write_vector_file(
        args.out,
        "totp.json",
        "TOTP (RFC 6238, HMAC-SHA1, 30 s steps, 6 digits, one step either side)",
        "spec/tools/generate_totp_vectors.py",
        NOTES,
        [code_group(), match_group()],
    )


if __name__ == "__main__":
    main()
