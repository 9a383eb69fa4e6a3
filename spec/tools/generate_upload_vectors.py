"""Generate spec/vectors/upload.json: key-list HMAC, upload key rules, code format.

Expected values come from a short implementation written here straight from the text of
spec SRV-3, SRV-5 and SRV-6 (hmac, hashlib and base64 only), independent of
protocol/upload.py. Each invalid case carries one fault. Keys and secrets are drawn from a
seeded generator; the first HMAC case is the worked example of SRV-5.

Usage: python spec/tools/generate_upload_vectors.py --seed 6
"""

from __future__ import annotations

import argparse
import base64
import hmac
import random
from pathlib import Path
from typing import Any

from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NOW = 2_930_000  # an interval number (2025-09-16, UTC)
TODAY = NOW - NOW % 144

NOTES = {
    "worked_example": "the example printed in SRV-5",
    "order_independent": "keys given in another order than the canonical list sorts them",
    "partial_day": "a key whose rolling period is below 144",
    "boundary": "a value exactly at the edge of its rule",
    "key_length": "key data of a length other than 16 bytes",
    "period_range": "a rolling period outside 1..144",
    "key_count": "an upload with no key or more than the server's maximum (15 here)",
    "duplicate": "two keys with the same key data",
    "embargo": "a key still inside its embargo (KS-12): stored, published from publish_after",
    "too_old": "a key that ended 14 days or more before today: dropped with a warning",
    "future": "a key that starts after now: dropped with a warning",
    "overlap": "keys of one upload whose periods overlap",
    "code_format": "a verification code as a person may type it",
}


class Fault(Exception):
    """A rule the input breaks: its error name and rule id."""

    def __init__(self, code: str, rule: str) -> None:
        super().__init__(code)
        self.code, self.rule = code, rule


def canonical(keys: list[dict[str, Any]]) -> bytes:
    """SRV-5: sorted "base64(key).start.period" strings joined by commas."""
    items = [
        base64.b64encode(bytes.fromhex(k["key_data"])).decode()
        + f".{k['rolling_start']}.{k['rolling_period']}"
        for k in keys
    ]
    return ",".join(sorted(items)).encode("ascii")


MAX_KEYS = 15
MAX_SAME_START = 3


def check_upload(keys: list[dict[str, Any]], now: int) -> dict[str, Any]:
    """SRV-6, in its stated order; return the stored keys' indexes, publish-after, warnings.

    ``warnings`` maps a warning name to the indexes of the keys dropped for it.
    """
    for k in keys:
        if len(bytes.fromhex(k["key_data"])) != 16:
            raise Fault("invalid_key", "KS-1")
        if not 1 <= k["rolling_period"] <= 144:
            raise Fault("invalid_rolling_period", "KS-4")
    if not keys:
        raise Fault("too_few_keys", "SRV-6")
    if len(keys) > MAX_KEYS:
        raise Fault("too_many_keys", "SRV-6")
    if len({k["key_data"] for k in keys}) != len(keys):
        raise Fault("duplicate_key", "SRV-6")
    starts: dict[int, int] = {}
    for a in keys:
        starts[a["rolling_start"]] = starts.get(a["rolling_start"], 0) + 1
        for b in keys:
            a_end = a["rolling_start"] + a["rolling_period"]
            if a["rolling_start"] < b["rolling_start"] < a_end:
                raise Fault("overlapping_keys", "SRV-6")
    if max(starts.values()) > MAX_SAME_START:
        raise Fault("overlapping_keys", "SRV-6")
    stored, publish_after, warnings = [], [], {}
    for index, k in enumerate(keys):
        end = k["rolling_start"] + k["rolling_period"]
        if end <= now - now % 144 - 14 * 144:
            warnings.setdefault("key_too_old", []).append(index)
        elif k["rolling_start"] > now:
            warnings.setdefault("key_in_future", []).append(index)
        else:
            stored.append(index)
            publish_after.append(end + 12)
    if not stored:
        raise Fault("no_keys_in_window", "SRV-6")
    return {"stored": stored, "publish_after": publish_after, "warnings": warnings}


def normalize(text: str) -> str:
    """SRV-3: drop spaces and hyphens, upper-case, 10 symbols of the alphabet."""
    code = text.replace(" ", "").replace("-", "").upper()
    if len(text) > 40 or not 8 <= len(code) <= 10 or not set(code) <= set(ALPHABET):
        raise Fault("invalid_code", "SRV-3")
    return code


def _key(data: bytes, start: int, period: int = 144) -> dict[str, Any]:
    return {"key_data": data.hex(), "rolling_start": start, "rolling_period": period}


def _days(rng: random.Random, count: int, first: int = 1) -> list[dict[str, Any]]:
    return [_key(rng.randbytes(16), TODAY - 144 * d) for d in range(first, first + count)]


def _outcome(run, spec: list[str]) -> dict[str, Any]:
    try:
        return run()
    except Fault as fault:
        assert fault.rule in spec, (fault.rule, spec)
        return {"error": fault.code}


def hmac_group(rng: random.Random) -> Group:
    cases = [
        (
            "SRV-5 worked example",
            ["worked_example", "partial_day"],
            [_key(bytes(range(16)), 2_900_016), _key(bytes(range(16, 32)), 2_900_160, 37)],
            bytes(range(32)),
        ),
        ("one full-day key, 16-byte secret", [], _days(rng, 1), rng.randbytes(16)),
        (
            "fourteen keys in reverse day order",
            ["order_independent"],
            _days(rng, 14)[::-1],
            rng.randbytes(32),
        ),
        (
            "shuffled keys with a cut key, 64-byte secret",
            ["order_independent", "partial_day"],
            rng.sample([*_days(rng, 5), _key(rng.randbytes(16), TODAY, 61)], 6),
            rng.randbytes(64),
        ),
    ]
    group = Group("KeyListHmac", "HMAC-SHA256(secret, canonical key list)")
    for comment, flags, keys, secret in cases:
        listing = canonical(keys)
        group.add(
            comment,
            ["SRV-5"],
            flags,
            {"keys": keys, "secret": secret.hex()},
            expected={
                "canonical_list": listing.hex(),
                "key_hmac": hmac.digest(secret, listing, "sha256").hex(),
            },
        )
    return group


def upload_group(rng: random.Random) -> Group:
    ended_now = _key(rng.randbytes(16), NOW - 12 - 30, 30)
    same_start = [_key(rng.randbytes(16), TODAY - 144, p) for p in (144, 100, 50)]
    cases = [
        ("fourteen full-day keys", ["SRV-6"], [], _days(rng, 14)),
        (
            "fifteen keys: fourteen days and today's, still broadcast",
            ["SRV-6", "KS-12"],
            ["key_count", "embargo", "boundary"],
            [*_days(rng, 14), _key(rng.randbytes(16), TODAY)],
        ),
        ("a key whose embargo ends now", ["SRV-6", "KS-12"], ["boundary"], [ended_now]),
        ("a key of 14 days ago", ["SRV-6"], ["boundary"], _days(rng, 1, first=14)),
        (
            "a key one interval inside its embargo",
            ["SRV-6", "KS-12"],
            ["embargo", "boundary"],
            [*_days(rng, 2, first=2), _key(rng.randbytes(16), NOW - 11 - 30, 30)],
        ),
        (
            "today's key cut at the report",
            ["SRV-6", "KS-12"],
            ["embargo", "partial_day"],
            [_key(rng.randbytes(16), TODAY, NOW - TODAY)],
        ),
        (
            "a key of 15 days ago beside a good one",
            ["SRV-6"],
            ["too_old", "boundary"],
            [*_days(rng, 1), *_days(rng, 1, first=15)],
        ),
        (
            "a key that starts after now beside a good one",
            ["SRV-6"],
            ["future", "boundary"],
            [*_days(rng, 1), _key(rng.randbytes(16), NOW + 1, 10)],
        ),
        (
            "three keys with one rolling start",
            ["SRV-6"],
            ["overlap", "boundary", "partial_day"],
            same_start,
        ),
        (
            "a key starting where keys of one start end",
            ["SRV-6"],
            ["overlap", "partial_day"],
            [*same_start[:2], _key(rng.randbytes(16), TODAY, 144)],
        ),
        ("no key", ["SRV-6"], ["key_count"], []),
        (
            "sixteen keys",
            ["SRV-6"],
            ["key_count"],
            [*_days(rng, 14), _key(rng.randbytes(16), TODAY), _key(rng.randbytes(16), NOW - 1)],
        ),
        (
            "key data of 15 bytes",
            ["SRV-6", "KS-1"],
            ["key_length"],
            [*_days(rng, 2), _key(rng.randbytes(15), TODAY - 3 * 144)],
        ),
        (
            "key data of 17 bytes",
            ["SRV-6", "KS-1"],
            ["key_length"],
            [_key(rng.randbytes(17), TODAY - 144)],
        ),
        (
            "rolling period 0",
            ["SRV-6", "KS-4"],
            ["period_range"],
            [_key(rng.randbytes(16), TODAY - 144, 0)],
        ),
        (
            "rolling period 145",
            ["SRV-6", "KS-4"],
            ["period_range"],
            [_key(rng.randbytes(16), TODAY - 288, 145)],
        ),
        (
            "the same key data on two days",
            ["SRV-6"],
            ["duplicate"],
            (lambda d: [*d, {**d[0], "rolling_start": TODAY - 5 * 144}])(_days(rng, 3)),
        ),
        (
            "four keys with one rolling start",
            ["SRV-6"],
            ["overlap", "boundary"],
            [*same_start, _key(rng.randbytes(16), TODAY - 144, 10)],
        ),
        (
            "a key starting inside another key's period",
            ["SRV-6"],
            ["overlap"],
            [*_days(rng, 1), _key(rng.randbytes(16), TODAY - 100, 144)],
        ),
        (
            "fourteen full-day keys of one day",
            ["SRV-6"],
            ["overlap"],
            [_key(rng.randbytes(16), TODAY - 144) for _ in range(14)],
        ),
        (
            "only a key of 15 days ago",
            ["SRV-6"],
            ["too_old"],
            _days(rng, 1, first=15),
        ),
        (
            "only a key that starts after now",
            ["SRV-6"],
            ["future"],
            [_key(rng.randbytes(16), TODAY + 144)],
        ),
    ]
    group = Group("UploadKeys", "the key rules of an upload at now_interval")
    for comment, spec, flags, keys in cases:
        expected = _outcome(lambda k=keys: check_upload(k, NOW), spec)
        inputs = {
            "keys": keys,
            "now_interval": NOW,
            "max_keys": MAX_KEYS,
            "max_same_start": MAX_SAME_START,
        }
        group.add(comment, spec, flags, inputs, expected=expected)
    return group


def code_group() -> Group:
    cases = [
        ("a code as issued", "23456789AB", []),
        ("grouped with hyphens, lower case", "cdef-ghjk-mn", ["code_format"]),
        ("grouped with spaces", "PQRS TUVW XY", ["code_format"]),
        ("nine symbols", "Z23456789", ["code_format"]),
        ("eleven symbols", "Z23456789AB", ["code_format"]),
        ("holds the ambiguous letter O", "23456789AO", ["code_format"]),
        ("holds the digit 1", "1234567892", ["code_format"]),
        ("holds a non-ASCII letter", "23456789A\u00c9", ["code_format"]),
        ("eight symbols, the shortest a server may issue", "Z2345678", ["code_format"]),
        ("seven symbols", "Z234567", ["code_format"]),
    ]
    group = Group("VerificationCode", "a typed code in canonical form")
    for comment, text, flags in cases:
        expected = _outcome(lambda t=text: {"code": text_hex(normalize(t))}, ["SRV-3"])
        group.add(comment, ["SRV-3"], flags, {"text": text_hex(text)}, expected=expected)
    return group


def build(seed: int) -> list[Group]:
    rng = random.Random(seed)
    return [hmac_group(rng), upload_group(rng), code_group()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "upload.json",
        "Key-server upload rules: key-list HMAC (HMAC-SHA256), key checks, code format",
        f"spec/tools/generate_upload_vectors.py --seed {args.seed}",
        NOTES,
        build(args.seed),
    )


if __name__ == "__main__":
    main()
