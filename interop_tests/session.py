"""One conversation with an adapter: request ids, answer checks, the transcript, restarts.

Every answer is checked against the framing rules before any test looks at it: it must be a
JSON object carrying the request's id and exactly one of ``result`` or ``error`` with a code
from the closed set (spec IOP-4, IOP-5). A broken rule raises :class:`AdapterFailure` and
marks the session for a restart, so one misbehaving answer cannot shift later ones onto the
wrong requests.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO

from bluezone.interop_tests.transport import (
    Transport,
    TransportClosed,
    TransportError,
    TransportStartError,
    TransportTimeout,
)

# spec IOP-5: the closed set of error codes.
ERROR_CODES = frozenset({"invalid_input", "unsupported", "internal"})
# spec IOP-10: the adapter protocol version the suite speaks, sent in hello.
PROTOCOL_VERSION = 1
# Exchanges kept per test for the report; a long test keeps its last ones.
EXCHANGES_KEPT = 8


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer line, checked for framing: exactly one of ``result`` and ``error`` is set."""

    id: Any
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    line: str

    @property
    def error_code(self) -> str | None:
        """The error code, or None for a result."""
        return None if self.error is None else self.error.get("code")

    def as_json(self) -> Any:
        """The answer as the adapter sent it."""
        return json.loads(self.line)


@dataclass(frozen=True, slots=True)
class Hello:
    """What the adapter said about itself in the hello handshake (IOP-10)."""

    implementation: str
    version: str
    ops: frozenset[str]


class AdapterFailure(Exception):
    """The adapter broke the framing: no answer in time, exit, malformed or misplaced answer."""

    def __init__(
        self, kind: str, message: str, request: Any = None, actual: Any = None, expected: Any = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.request = request
        self.actual = actual
        self.expected = expected


class Transcript:
    """Every line sent and received, the adapter's stderr and harness events, in order."""

    def __init__(self, path: Path | None = None) -> None:
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._file: TextIO | None = path.open("w", encoding="utf-8") if path else None

    def log(self, kind: str, text: str) -> None:
        """Append one entry (thread-safe: stderr arrives from a reader thread)."""
        if self._file is None:
            return
        entry = {"t": round(time.monotonic() - self._start, 4), "kind": kind, "text": text}
        with self._lock:
            self._file.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        """Flush and close the transcript file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def encode_request(request_id: int, op: str, params: dict[str, Any]) -> bytes:
    """One request line (IOP-2, IOP-3)."""
    body = {"id": request_id, "op": op, "params": params}
    return json.dumps(body, separators=(",", ":")).encode("utf-8") + b"\n"


def parse_answer(line: bytes) -> Answer:
    """Check one answer line's framing (IOP-2, IOP-4, IOP-5); raise AdapterFailure if broken."""
    text = line.decode("utf-8", "replace")
    try:
        body = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AdapterFailure("malformed", "answer is not a UTF-8 JSON line", actual=text) from None
    if not isinstance(body, dict) or "id" not in body:
        raise AdapterFailure("malformed", "answer is not a JSON object with an id", actual=text)
    result, error = body.get("result"), body.get("error")
    if (result is None) == (error is None):
        raise AdapterFailure("malformed", "answer needs exactly one of result, error", actual=text)
    if result is not None and not isinstance(result, dict):
        raise AdapterFailure("malformed", "answer's result is not an object", actual=text)
    if error is not None and not (isinstance(error, dict) and error.get("code") in ERROR_CODES):
        raise AdapterFailure(
            "malformed",
            f"answer's error needs a code in {sorted(ERROR_CODES)}",
            actual=text,
        )
    return Answer(body["id"], result, error, text)


def parse_hello(answer: Answer) -> Hello:
    """Check the hello result's fields (IOP-10); raise AdapterFailure if they are wrong."""
    result = answer.result
    if result is None:
        raise AdapterFailure("hello", f"hello was answered with an error: {answer.line}")
    implementation, version, ops = (result.get(k) for k in ("implementation", "version", "ops"))
    if not isinstance(implementation, str) or not isinstance(version, str):
        raise AdapterFailure("hello", "hello result needs string implementation and version")
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        raise AdapterFailure("hello", "hello result needs ops, a list of op names")
    return Hello(implementation, version, frozenset(ops) | {"hello"})


class AdapterSession:
    """Sends requests with fresh ids and returns checked answers, one test at a time."""

    def __init__(
        self,
        transport: Transport,
        timeout: float,
        startup_timeout: float,
        transcript: Transcript,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.transcript = transcript
        self.broken = False
        self.hello: Hello | None = None
        self.exchanges: list[dict[str, Any]] = []
        self._next_id = 1

    def new_id(self) -> int:
        """A request id never used before in this run, so stale answers stand out (IOP-3)."""
        request_id, self._next_id = self._next_id, self._next_id + 1
        return request_id

    def start(self) -> Hello:
        """Open the transport and shake hands (IOP-10); raise AdapterFailure on any problem."""
        self.broken = False
        try:
            self.transport.open()
        except TransportStartError as exc:
            self.broken = True
            raise AdapterFailure("start", str(exc)) from exc
        answer = self.call(
            "hello",
            {"suite": "bluezone-interop", "protocol": PROTOCOL_VERSION},
            timeout=self.startup_timeout,
        )
        try:
            self.hello = parse_hello(answer)
        except AdapterFailure:
            self.broken = True
            raise
        return self.hello

    def restart(self) -> Hello:
        """End the current adapter session and start a fresh one (IOP-18)."""
        self.transcript.log("event", "restarting the adapter")
        self.transport.close(kill=True)
        return self.start()

    def close(self) -> None:
        """End the adapter session politely (closing stdin lets it exit on its own)."""
        self.transport.close(kill=self.broken)

    def call(self, op: str, params: dict[str, Any], timeout: float | None = None) -> Answer:
        """Send one request and return its answer, checked for framing."""
        request_id = self.new_id()
        request = {"id": request_id, "op": op, "params": params}
        self.send(encode_request(request_id, op, params))
        return self.receive(request_id, request, timeout)

    def send(self, data: bytes) -> None:
        """Write raw bytes (one or more request lines) to the adapter."""
        for line in data.splitlines():
            self.transcript.log("send", line.decode("utf-8", "backslashreplace"))
        try:
            self.transport.send(data)
        except TransportError as exc:
            self._fail("exited", str(exc), None, None)

    def receive(self, expected_id: Any, request: Any, timeout: float | None = None) -> Answer:
        """Read the next answer and check it carries ``expected_id`` (IOP-4)."""
        try:
            line = self.transport.receive_line(self.timeout if timeout is None else timeout)
        except TransportTimeout as exc:
            self._fail("timeout", f"{exc} (IOP-18)", request, None)
        except TransportClosed as exc:
            tail = self.transport.stderr_tail()
            detail = f"; stderr ends: {' | '.join(tail[-3:])}" if tail else ""
            self._fail("exited", f"{exc}{detail} (IOP-18)", request, None)
        self.transcript.log("recv", line.decode("utf-8", "backslashreplace"))
        try:
            answer = parse_answer(line)
        except AdapterFailure as exc:
            self._fail(exc.kind, f"{exc.message} (IOP-4, IOP-5)", request, exc.actual)
        if answer.id != expected_id or isinstance(answer.id, bool):
            self._fail(
                "out_of_order",
                f"answer carries id {answer.id!r}, expected {expected_id!r}: the adapter is out "
                "of step with its requests (IOP-4, IOP-6)",
                request,
                answer.as_json(),
                {"id": expected_id},
            )
        self._record(request, answer.as_json())
        return answer

    def _record(self, request: Any, actual: Any) -> None:
        self.exchanges.append({"request": request, "answer": actual})
        del self.exchanges[:-EXCHANGES_KEPT]

    def _fail(
        self, kind: str, message: str, request: Any, actual: Any, expected: Any = None
    ) -> NoReturn:
        """Record a framing failure, mark the session for restart, and raise."""
        self.broken = True
        self.transcript.log("event", f"adapter failure ({kind}): {message}")
        self.exchanges.append({"request": request, "failure": message, "answer": actual})
        del self.exchanges[:-EXCHANGES_KEPT]
        if expected is None:
            expected = _EXPECTED_BY_KIND.get(kind)
        raise AdapterFailure(kind, message, request, actual, expected)


_EXPECTED_BY_KIND = {
    "timeout": "an answer line within the request timeout",
    "exited": "an adapter that keeps running and answering",
    "malformed": "a JSON object line with the request's id and one of result, error",
}
