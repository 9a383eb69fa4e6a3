"""Behaviour of export_parse on hostile archives: always ``invalid_input``, never a crash.

The suite holds no signing key, so no archive it makes can carry a valid signature: every one
must be rejected (EXP-1..EXP-8), whichever check catches it, by an adapter that stays alive
(IOP-22). The verification key is a well-formed P-256 key (the curve's generator point), so
the archive, not the key, is what the adapter has to reject.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import behaviour

# SubjectPublicKeyInfo (DER) of the P-256 point G (SEC 2): a valid key whose signatures
# nobody here makes.
P256_SPKI_PREFIX = "3059301306072a8648ce3d020106082a8648ce3d030107034200"
P256_G = (
    "04"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
KEY = {
    "key_id": b"bluezone-interop".hex(),
    "key_version": b"v1".hex(),
    "public_key": P256_SPKI_PREFIX + P256_G,
}
# spec EXP-2: the header of export.bin.
HEADER = b"EK Export v1    "
# An empty zip archive: the end-of-central-directory record alone.
EMPTY_ZIP = "504b0506" + "00" * 18


def _zip(entries: dict[str, bytes], method: int) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue().hex()


def _archives(ctx: Context) -> list[tuple[str, str]]:
    """Hostile archives, each with what it is."""
    rng = ctx.rng
    samples = [("empty input", ""), ("an empty zip", EMPTY_ZIP)]
    samples += [("random bytes", ctx.random_bytes(rng.randrange(1, 300))) for _ in range(16)]
    samples += [
        ("a local header, then random", "504b0304" + ctx.random_bytes(60)) for _ in range(4)
    ]
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        for _ in range(4):
            bin_ = HEADER + rng.randbytes(rng.randrange(80))
            entries = {"export.bin": bin_, "export.sig": rng.randbytes(rng.randrange(80))}
            samples.append(("export.bin and export.sig of random content", _zip(entries, method)))
        samples.append(
            ("a header-only export.bin", _zip({"export.bin": HEADER, "export.sig": b""}, method))
        )
    return samples


@behaviour(
    "export/hostile-archives",
    ("EXP-1", "EXP-2", "EXP-4", "EXP-7", "EXP-8", "IOP-22"),
    ("export_parse",),
    "random and zip-shaped archives without a valid signature are answered invalid_input",
)
def hostile_archives(ctx: Context) -> None:
    for what, archive in _archives(ctx):
        params: dict[str, Any] = {"zip": archive, **KEY}
        ctx.expect_error("export_parse", params, f"{what}: no valid signature")


TESTS = (hostile_archives,)
