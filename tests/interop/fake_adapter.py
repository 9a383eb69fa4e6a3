"""Misbehaving adapters for the harness tests: ``python -m tests.interop.fake_adapter MODE``.

Each mode answers like the reference adapter except for one fault the harness must handle:

- ``hang-on-rpi``: never answers an ``rpi`` request (the process stays alive).
- ``hang-once-on-rpi``: like hang-on-rpi for the first rpi request of the process only.
- ``exit-on-rpi``: writes a line to stderr and exits with status 3 on an ``rpi`` request.
- ``wrong-id``: answers ``rpi`` with another request's id.
- ``double-answer``: answers ``rpi`` twice, so the next answer is stale.
- ``not-json``: answers ``rpi`` with a line that is not JSON.
- ``no-hello``: exits at once, before answering anything.
- ``keys-only``: lists only hello, derive_keys and rpi.
- ``no-rpi``: does not list rpi, a mandatory op.
- ``correct``: no fault.

``--listen HOST:PORT`` after the mode serves TCP, as the reference adapter does.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from bluezone.interop_tests.adapter_kit import Adapter, answer_line, parse_request, run
from bluezone.interop_tests.reference_adapter import HANDLERS, build_adapter

_hung_once = threading.Event()


def _faulty(mode: str) -> Any:
    """The reference framing with ``mode``'s fault on rpi requests."""

    def answer(line: bytes, adapter: Adapter) -> Any:
        parsed = parse_request(line)
        op = None if isinstance(parsed, dict) else parsed[1]
        reply = answer_line(line, adapter)
        if op != "rpi":
            return reply
        if mode == "hang-on-rpi" or (mode == "hang-once-on-rpi" and not _hung_once.is_set()):
            _hung_once.set()
            time.sleep(3600)
        if mode == "exit-on-rpi":
            print("fake adapter: exiting on purpose", file=sys.stderr, flush=True)
            sys.exit(3)
        if mode == "wrong-id":
            return {**reply, "id": reply["id"] + 1000}
        if mode == "double-answer":
            sys.stdout.buffer.write(json.dumps(reply).encode() + b"\n")
        if mode == "not-json":
            sys.stdout.buffer.write(b"this is not json\n")
            sys.stdout.flush()
            return None
        return reply

    return answer


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    if mode == "no-hello":
        return 5
    handlers = dict(HANDLERS)
    if mode == "keys-only":
        handlers = {"derive_keys": HANDLERS["derive_keys"], "rpi": HANDLERS["rpi"]}
    if mode == "no-rpi":
        del handlers["rpi"]
    return run(_adapter(mode, handlers), rest, _faulty(mode))


def _adapter(mode: str, handlers: dict) -> Adapter:
    """The reference adapter under a fake name, with only ``handlers``."""
    base = build_adapter(f"fake-{mode}")
    return Adapter(base.implementation, base.version, handlers, base.input_errors, base.detail)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
