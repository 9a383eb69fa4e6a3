"""Mutant decoder_crashes_on_garbage: the decoder trusts length octets, and the adapter catches
only the library's errors, so short input kills the process (breaks ADV-5, IOP-4)."""

import sys
from typing import Any

from bluezone.interop_tests.adapter_kit import (
    INVALID_INPUT,
    UNSUPPORTED,
    Adapter,
    AdapterInputError,
    error_answer,
    hello_result,
    parse_request,
    run,
)
from bluezone.interop_tests.mutants._variant import decoder_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-decoder_crashes_on_garbage",
    advertisement_decode=decoder_handler(check_lengths=False),
)


def answer(line: bytes, adapter: Adapter) -> dict[str, Any]:
    """The reference framing without its catch-all: IndexError and struct.error escape."""
    parsed = parse_request(line)
    if isinstance(parsed, dict):
        return parsed
    request_id, op, params = parsed
    if op == "hello":
        return {"id": request_id, "result": hello_result(adapter)}
    handler = adapter.handlers.get(op)
    if handler is None:
        return error_answer(request_id, UNSUPPORTED, f"op {op!r} is not implemented")
    try:
        return {"id": request_id, "result": handler(params)}
    except (AdapterInputError, *adapter.input_errors) as exc:
        return error_answer(request_id, INVALID_INPUT, str(exc))


if __name__ == "__main__":
    sys.exit(run(ADAPTER, answer=answer))
