"""Framing of the adapter protocol for adapters written in Python (spec/90-interop-adapter.md).

An adapter is a table of op handlers. Each handler takes the request's ``params`` (a dict)
and returns the result dict; it raises :class:`AdapterInputError` (or an exception of a
class listed in ``input_errors``) for input the spec rejects, which becomes an
``invalid_input`` answer. This module reads request lines, dispatches, and writes one
answer line per request line, in order, over stdin/stdout or TCP (IOP-2..IOP-8, IOP-22).

It holds no cryptography and imports nothing from the library under test, so any Python
implementation can reuse it.
"""

from __future__ import annotations

import json
import re
import socketserver
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

Handler = Callable[[dict[str, Any]], dict[str, Any]]

# spec IOP-5: the closed set of error codes an answer may carry.
INVALID_INPUT = "invalid_input"
UNSUPPORTED = "unsupported"
INTERNAL = "internal"

# spec IOP-2: longest request line an adapter must accept; longer lines are answered
# invalid_input and skipped, so a runaway writer cannot exhaust the adapter's memory.
MAX_LINE_BYTES = 1 << 22

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


class AdapterInputError(Exception):
    """The request's params break the adapter protocol (missing field, bad hex, wrong type)."""


@dataclass(frozen=True, slots=True)
class Adapter:
    """What an adapter is: its name, version, op handlers and the errors that mean bad input.

    ``input_errors`` lists the library's exception classes that mean "the input breaks a
    rule of the spec"; ``detail`` reads the spec's error name from such an exception.
    """

    implementation: str
    version: str
    handlers: Mapping[str, Handler]
    input_errors: tuple[type[BaseException], ...] = ()
    detail: Callable[[BaseException], str | None] = field(default=lambda exc: None)

    def ops(self) -> list[str]:
        """The op names this adapter announces in its hello answer (IOP-10)."""
        return sorted({"hello", *self.handlers})


def hex_param(params: Mapping[str, Any], name: str) -> bytes:
    """Read a byte-string param: a string of hex digit pairs (IOP-8)."""
    value = params.get(name)
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise AdapterInputError(f"param {name!r} must be a string of hex digit pairs (IOP-8)")
    return bytes.fromhex(value)


def int_param(params: Mapping[str, Any], name: str) -> int:
    """Read an integer param; booleans and floats are not integers (IOP-9)."""
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AdapterInputError(f"param {name!r} must be an integer (IOP-9)")
    return value


def bool_param(params: Mapping[str, Any], name: str, default: bool) -> bool:
    """Read an optional boolean param."""
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise AdapterInputError(f"param {name!r} must be true or false")
    return value


def list_param(params: Mapping[str, Any], name: str) -> list[Any]:
    """Read a list param whose items are JSON objects."""
    value = params.get(name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise AdapterInputError(f"param {name!r} must be a list of objects")
    return value


# --- Params of the export and log ops (IOP-31) ---------------------------------------------


def hex_list_param(params: Mapping[str, Any], name: str) -> list[bytes]:
    """Read a list param whose items are byte strings (IOP-8), e.g. a proof."""
    value = params.get(name)
    if not isinstance(value, list):
        raise AdapterInputError(f"param {name!r} must be a list of hex strings")
    return [hex_param({name: item}, name) for item in value]


def text_param(params: Mapping[str, Any], name: str) -> str:
    """Read a text param: the hex of its UTF-8 octets (IOP-31)."""
    try:
        return hex_param(params, name).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AdapterInputError(f"param {name!r} must be hex of UTF-8 text (IOP-31)") from exc


def text_list_param(params: Mapping[str, Any], name: str) -> list[str]:
    """Read a list param whose items are texts in hex (IOP-31), e.g. verifier keys."""
    value = params.get(name)
    if not isinstance(value, list):
        raise AdapterInputError(f"param {name!r} must be a list of hex strings")
    return [text_param({name: item}, name) for item in value]


def optional_int_param(params: Mapping[str, Any], name: str) -> int | None:
    """Read an integer param that may be absent or null."""
    return None if params.get(name) is None else int_param(params, name)


def text_hex(text: str) -> str:
    """Write a text result: the hex of its UTF-8 octets (IOP-31)."""
    return text.encode("utf-8").hex()


# --- Answers ---------------------------------------------------------------------------------


def error_answer(request_id: Any, code: str, message: str, detail: str | None = None) -> dict:
    """Build an error answer (IOP-5)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if detail:
        error["detail"] = detail
    return {"id": request_id, "error": error}


def parse_request(raw: bytes) -> tuple[Any, str, dict[str, Any]] | dict:
    """Split a request line into (id, op, params), or return the error answer it earns (IOP-6)."""
    try:
        request = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error_answer(None, INVALID_INPUT, "request line is not a UTF-8 JSON object")
    if not isinstance(request, dict):
        return error_answer(None, INVALID_INPUT, "request is not a JSON object")
    request_id = request.get("id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return error_answer(None, INVALID_INPUT, "request has no integer id")
    op, params = request.get("op"), request.get("params", {})
    if not isinstance(op, str) or not isinstance(params, dict):
        return error_answer(
            request_id, INVALID_INPUT, "request needs a string op and object params"
        )
    return request_id, op, params


def answer_line(raw: bytes, adapter: Adapter) -> dict:
    """Answer one request line: never raises, whatever the line holds (IOP-4..IOP-7)."""
    parsed = parse_request(raw)
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
    except AdapterInputError as exc:
        return error_answer(request_id, INVALID_INPUT, str(exc))
    except adapter.input_errors as exc:
        return error_answer(request_id, INVALID_INPUT, str(exc), adapter.detail(exc))
    except Exception as exc:
        return error_answer(request_id, INTERNAL, f"{type(exc).__name__}: {exc}")


def hello_result(adapter: Adapter) -> dict[str, Any]:
    """The hello result: who answers, and which ops it implements (IOP-10)."""
    return {
        "implementation": adapter.implementation,
        "version": adapter.version,
        "ops": adapter.ops(),
    }


AnswerFunction = Callable[[bytes, Adapter], "dict | None"]


def read_lines(stream: BinaryIO) -> Iterable[bytes]:
    """Yield request lines; an over-long line is yielded as b"" once its end has been skipped."""
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        if not line.endswith(b"\n") and len(line) == MAX_LINE_BYTES:
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            line = b""
        yield line.rstrip(b"\r\n")


def serve_stream(
    adapter: Adapter,
    reader: BinaryIO,
    writer: BinaryIO,
    answer: AnswerFunction = answer_line,
) -> None:
    """Answer every request line of ``reader`` on ``writer``, one line each, until EOF."""
    for line in read_lines(reader):
        reply = answer(line, adapter)
        if reply is None:
            continue
        writer.write(json.dumps(reply, separators=(",", ":")).encode("utf-8") + b"\n")
        writer.flush()


def serve_tcp(
    adapter: Adapter,
    host: str,
    port: int,
    answer: AnswerFunction = answer_line,
    ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve each TCP connection as its own session, one thread per connection (IOP-20)."""

    class Session(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            serve_stream(adapter, self.rfile, self.wfile, answer)

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server((host, port), Session) as server:
        bound_host, bound_port = server.server_address[:2]
        if ready is not None:
            ready(str(bound_host), int(bound_port))
        server.serve_forever()


def run(
    adapter: Adapter, argv: list[str] | None = None, answer: AnswerFunction = answer_line
) -> int:
    """Command-line entry of an adapter: stdio by default, ``--listen HOST:PORT`` for TCP."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--listen":
        host, _, port = args[1].rpartition(":")

        def announce(bound_host: str, bound_port: int) -> None:
            print(f"listening on {bound_host}:{bound_port}", file=sys.stderr, flush=True)

        serve_tcp(adapter, host or "127.0.0.1", int(port), answer, announce)
        return 0
    if args:
        print("usage: ADAPTER [--listen HOST:PORT]", file=sys.stderr)
        return 2
    serve_stream(adapter, sys.stdin.buffer, sys.stdout.buffer, answer)
    return 0
