"""Mutant uppercase_hex: byte strings are written as uppercase hex, as "%02X" formats them
(breaks IOP-8)."""

import sys
from typing import Any

from bluezone.interop_tests.adapter_kit import Handler, run
from bluezone.interop_tests.reference_adapter import HANDLERS, build_adapter


def uppercase(handler: Handler) -> Handler:
    """The same op, with every string field of its result in uppercase."""

    def op(params: dict[str, Any]) -> dict[str, Any]:
        result = handler(params)
        return {k: v.upper() if isinstance(v, str) else v for k, v in result.items()}

    return op


ADAPTER = build_adapter(
    "mutant-uppercase_hex", **{name: uppercase(handler) for name, handler in HANDLERS.items()}
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
