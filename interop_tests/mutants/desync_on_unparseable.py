"""Mutant desync_on_unparseable: a line that does not parse is logged and skipped, not
answered, so every later answer lands on the wrong request (breaks IOP-4, IOP-6)."""

import sys

from bluezone.interop_tests.adapter_kit import Adapter, answer_line, parse_request, run
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-desync_on_unparseable")


def answer(line: bytes, adapter: Adapter) -> dict | None:
    """Answer as the reference does, except for lines without a usable id."""
    parsed = parse_request(line)
    if isinstance(parsed, dict) and parsed["id"] is None:
        print("skipping a line that does not parse", file=sys.stderr, flush=True)
        return None
    return answer_line(line, adapter)


if __name__ == "__main__":
    sys.exit(run(ADAPTER, answer=answer))
