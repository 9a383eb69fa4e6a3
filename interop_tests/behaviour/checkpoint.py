"""Behaviour of note_verify and checkpoint_verify on hostile notes: ``invalid_input`` only.

The suite holds no signing key, so no note it makes carries a valid signature from the key it
trusts: every one must be rejected (LOG-6, LOG-10), whichever check catches it, by an adapter
that stays alive (IOP-22). The trusted key is the verifier key of the Go note package's tests.
"""

from __future__ import annotations

import base64

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import behaviour

# golang.org/x/mod/sumdb/note's test key (spec/vectors/checkpoint.json, NoteVerifierKey).
NAME = "PeterNeumann"
KEY_ID = bytes.fromhex("c74f20a3")
VKEY = b"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW".hex()
_PRINTABLE = "abcdefghijklmnopqrstuvwxyz0123456789 +/=.-"


def _line(name: str, raw: bytes) -> str:
    return f"\u2014 {name} {base64.b64encode(raw).decode()}\n"


def _notes(ctx: Context) -> list[tuple[str, bytes]]:
    """Hostile notes, each with what it is."""
    rng = ctx.rng
    notes = [("random bytes", rng.randbytes(rng.randrange(200))) for _ in range(12)]
    for _ in range(12):
        size = rng.choice(("0", str(rng.randrange(1 << 40)), "-1", "00"))
        root = base64.b64encode(rng.randbytes(rng.choice((31, 32, 33)))).decode()
        text = f"{NAME}\n{size}\n{root}\n"
        if rng.random() < 0.3:
            text += "".join(rng.choice(_PRINTABLE) for _ in range(rng.randrange(30))) + "\n"
        raw = rng.choice((KEY_ID, rng.randbytes(4))) + rng.randbytes(rng.choice((0, 1, 64, 72)))
        lines = [_line(rng.choice((NAME, "witness", "")), raw)]
        lines += [_line(NAME, KEY_ID + rng.randbytes(64))] * rng.randrange(3)
        note = text + rng.choice(("\n", "", "\n\n")) + "".join(lines)
        notes.append(("a checkpoint-shaped note without a valid signature", note.encode()))
    return notes


@behaviour(
    "checkpoint/hostile-notes",
    ("LOG-6", "LOG-8", "LOG-10", "IOP-22"),
    ("note_verify", "checkpoint_verify"),
    "random and checkpoint-shaped notes without a valid signature are answered invalid_input",
)
def hostile_notes(ctx: Context) -> None:
    for what, note in _notes(ctx):
        ctx.expect_error("note_verify", {"note": note.hex(), "verifier_keys": [VKEY]}, what)
        params = {"note": note.hex(), "log_key": VKEY, "witness_keys": [], "quorum": 0}
        ctx.expect_error("checkpoint_verify", params, what)


TESTS = (hostile_notes,)
