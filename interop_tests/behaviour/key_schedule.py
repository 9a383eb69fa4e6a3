"""Behaviour of the key schedule ops, judged by invariants on random keys (spec KS-5..KS-8).

No expected value here is computed by the suite: the tests compare the adapter's answers
with each other (determinism, distinctness, encryption and decryption being inverse).
"""

from __future__ import annotations

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, behaviour

_DAY = 144
# Interval numbers near 2020-2025, where real keys live.
_FIRST_INTERVAL, _LAST_INTERVAL = 2_600_000, 2_950_000


def _rpi(ctx: Context, tek: str, interval: int) -> str:
    return ctx.result("rpi", {"tek": tek, "interval": interval})["rpi"]


@behaviour("key-schedule/rpi-deterministic", ("KS-6",), ("rpi",), "same request, same RPI")
def rpi_deterministic(ctx: Context) -> None:
    tek, interval = ctx.random_bytes(16), ctx.rng.randrange(_FIRST_INTERVAL, _LAST_INTERVAL)
    first, second = _rpi(ctx, tek, interval), _rpi(ctx, tek, interval)
    if first != second:
        raise CheckFailed(
            "rpi must be a function of tek and interval",
            {"op": "rpi", "params": {"tek": tek, "interval": interval}},
            first,
            second,
        )


@behaviour(
    "key-schedule/rpi-distinct",
    ("KS-6",),
    ("rpi",),
    "a day of intervals, and intervals differing in each byte, give distinct RPIs",
)
def rpi_distinct(ctx: Context) -> None:
    tek = ctx.random_bytes(16)
    start = ctx.rng.randrange(_FIRST_INTERVAL, _LAST_INTERVAL) // _DAY * _DAY
    intervals = [start + i for i in range(_DAY)]
    # AES is a permutation, so distinct PaddedData give distinct RPIs: an encoding that drops
    # or reorders interval bytes shows up as a repeat among these.
    intervals += [start + (1 << 8), start + (1 << 16), start + (1 << 24), start - _DAY]
    seen: dict[str, int] = {}
    for interval in intervals:
        rpi = _rpi(ctx, tek, interval)
        if rpi in seen:
            raise CheckFailed(
                f"intervals {seen[rpi]} and {interval} give the same RPI under one TEK",
                {"op": "rpi", "params": {"tek": tek, "interval": interval}},
                "distinct RPIs",
                rpi,
            )
        seen[rpi] = interval


@behaviour(
    "key-schedule/derived-keys",
    ("KS-5", "KS-7"),
    ("derive_keys",),
    "RPIK and AEMK are deterministic, differ from each other and between TEKs",
)
def derived_keys(ctx: Context) -> None:
    tek, other = ctx.random_bytes(16), ctx.random_bytes(16)
    first = ctx.result("derive_keys", {"tek": tek})
    again = ctx.result("derive_keys", {"tek": tek})
    second = ctx.result("derive_keys", {"tek": other})
    request = {"op": "derive_keys", "params": {"tek": tek}}
    if first != again:
        raise CheckFailed("derive_keys must be a function of tek", request, first, again)
    if first["rpik"] == first["aemk"]:
        raise CheckFailed(
            "RPIK and AEMK use different info strings", request, "rpik != aemk", first
        )
    if first["rpik"] == second["rpik"] or first["aemk"] == second["aemk"]:
        raise CheckFailed("two TEKs gave the same derived key", request, "distinct keys", second)


@behaviour(
    "key-schedule/aem-round-trip",
    ("KS-8",),
    ("aem_encrypt", "aem_decrypt"),
    "aem_decrypt inverts aem_encrypt and the reverse, on random inputs",
)
def aem_round_trip(ctx: Context) -> None:
    for _ in range(8):
        tek, rpi, metadata = ctx.random_bytes(16), ctx.random_bytes(16), ctx.random_bytes(4)
        params = {"tek": tek, "rpi": rpi, "metadata": metadata}
        aem = ctx.result("aem_encrypt", params)["aem"]
        if aem == metadata:
            raise CheckFailed(
                "aem_encrypt returned the metadata unchanged", params, "ciphertext", aem
            )
        back = ctx.result("aem_decrypt", {"tek": tek, "rpi": rpi, "aem": aem})["metadata"]
        if back != metadata:
            raise CheckFailed("aem_decrypt(aem_encrypt(m)) != m", params, metadata, back)
        # CTR mode: encryption and decryption are one operation (KS-8).
        again = ctx.result("aem_decrypt", {"tek": tek, "rpi": rpi, "aem": metadata})["metadata"]
        if again != aem:
            raise CheckFailed("decrypting and encrypting must be one operation", params, aem, again)


@behaviour(
    "key-schedule/aem-inputs",
    ("KS-8",),
    ("aem_encrypt",),
    "the AEM depends on the RPI (the counter block) and on the TEK (the key)",
)
def aem_inputs(ctx: Context) -> None:
    tek, rpi, metadata = ctx.random_bytes(16), ctx.random_bytes(16), ctx.random_bytes(4)
    base = {"tek": tek, "rpi": rpi, "metadata": metadata}
    aem = ctx.result("aem_encrypt", base)["aem"]
    for name in ("rpi", "tek"):
        varied = {**base, name: ctx.random_bytes(16)}
        other = ctx.result("aem_encrypt", varied)["aem"]
        if other == aem:
            raise CheckFailed(f"the AEM does not depend on the {name}", varied, f"not {aem}", other)


TESTS = (rpi_deterministic, rpi_distinct, derived_keys, aem_round_trip, aem_inputs)
