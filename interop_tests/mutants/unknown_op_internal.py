"""Mutant unknown_op_internal: ops are looked up inside the catch-all, so an unknown op is
answered internal instead of unsupported (breaks IOP-7)."""

import sys
from typing import Any

from bluezone.interop_tests.adapter_kit import (
    INTERNAL,
    INVALID_INPUT,
    Adapter,
    AdapterInputError,
    error_answer,
    hello_result,
    parse_request,
    run,
)
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-unknown_op_internal")


def answer(line: bytes, adapter: Adapter) -> dict[str, Any]:
    """Dispatch with handlers[op] inside one try: a KeyError becomes internal."""
    parsed = parse_request(line)
    if isinstance(parsed, dict):
        return parsed
    request_id, op, params = parsed
    if op == "hello":
        return {"id": request_id, "result": hello_result(adapter)}
    try:
        return {"id": request_id, "result": adapter.handlers[op](params)}
    except (AdapterInputError, *adapter.input_errors) as exc:
        return error_answer(request_id, INVALID_INPUT, str(exc))
    except Exception as exc:
        return error_answer(request_id, INTERNAL, repr(exc))


if __name__ == "__main__":
    sys.exit(run(ADAPTER, answer=answer))
