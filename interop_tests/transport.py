"""Byte transports to an adapter: a child process on stdin/stdout, or a TCP connection.

A transport moves lines and knows nothing of JSON. ``open`` starts a fresh adapter session
(a new process, a new connection); ``receive_line`` waits at most ``timeout`` seconds;
``close`` ends the session, killing a child process that does not exit on its own
(spec IOP-18, IOP-19, IOP-20).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Protocol

# Longest answer line the suite reads; a longer one is cut there and fails to parse.
MAX_ANSWER_BYTES = 1 << 24
# Lines of the adapter's stderr kept to explain a crash in the report.
STDERR_TAIL_LINES = 20
# How long a child gets to exit after its stdin closes before it is killed.
EXIT_GRACE_S = 2.0

LogFunction = Callable[[str, str], None]


class TransportError(Exception):
    """The adapter cannot be reached, stopped answering, or went away."""


class TransportStartError(TransportError):
    """The adapter could not be started or connected to."""


class TransportTimeout(TransportError):
    """No answer line arrived within the timeout."""


class TransportClosed(TransportError):
    """The adapter exited or closed the connection."""


class Transport(Protocol):
    """A way to exchange lines with one adapter session at a time."""

    description: str

    def open(self) -> None:
        """Start a fresh session (raises TransportStartError)."""

    def send(self, data: bytes) -> None:
        """Write bytes to the adapter (raises TransportClosed)."""

    def receive_line(self, timeout: float) -> bytes:
        """Return the next line without its end (raises TransportTimeout, TransportClosed)."""

    def close(self, kill: bool = False) -> None:
        """End the session; ``kill`` skips the grace period."""

    def stderr_tail(self) -> list[str]:
        """The adapter's last stderr lines, to explain a failure."""


def _ignore_log(kind: str, text: str) -> None:
    """Default log sink: drop everything."""


class SubprocessTransport:
    """Runs the adapter as a child process and talks JSON lines on its stdin/stdout (IOP-2)."""

    def __init__(self, command: str, log: LogFunction = _ignore_log) -> None:
        self.description = command
        self._argv = split_command(command)
        if not self._argv:
            raise TransportStartError("the adapter command is empty")
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def open(self) -> None:
        """Start the adapter process with fresh pipes and reader threads."""
        try:
            proc = subprocess.Popen(
                self._argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=os.name == "posix",
            )
        except OSError as exc:
            raise TransportStartError(f"cannot start {self._argv[0]!r}: {exc}") from exc
        self._proc = proc
        self._lines = queue.Queue()
        self._stderr = deque(maxlen=STDERR_TAIL_LINES)
        self._log("event", f"started adapter process {proc.pid}: {self.description}")
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(target=_pump_lines, args=(proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(proc.stderr,), daemon=True).start()

    def _pump_stderr(self, stream: IO[bytes]) -> None:
        """Copy the adapter's stderr to the log and the tail, line by line."""
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            self._stderr.append(text)
            self._log("stderr", text)

    def send(self, data: bytes) -> None:
        """Write to the adapter's stdin."""
        proc = self._require()
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise TransportClosed(self._exit_message()) from exc

    def receive_line(self, timeout: float) -> bytes:
        """Wait for the next stdout line."""
        self._require()
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TransportTimeout(f"no answer within {timeout:g} s") from None
        if line is None:
            self._lines.put(None)
            raise TransportClosed(self._exit_message())
        return line.rstrip(b"\r\n")

    def _exit_message(self) -> str:
        """Describe how the adapter went away, with its exit status when known."""
        proc = self._require()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)
        status = proc.poll()
        if status is None:
            return "the adapter closed its stdout"
        return f"the adapter exited with status {status}"

    def close(self, kill: bool = False) -> None:
        """Close stdin, give the adapter a moment to exit, then kill its process group."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if not kill:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=EXIT_GRACE_S)
        if proc.poll() is None:
            _kill(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError, ValueError):
                assert stream is not None
                stream.close()
        self._log("event", f"adapter process {proc.pid} ended with status {proc.returncode}")

    def stderr_tail(self) -> list[str]:
        """The last lines the adapter wrote to stderr."""
        return list(self._stderr)

    def _require(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise TransportClosed("the adapter is not running")
        return self._proc


def split_command(command: str) -> list[str]:
    """Split an adapter command into words as a POSIX shell would, without running one (IOP-19).

    On Windows the split keeps backslashes, and quotes around a word are removed.
    """
    if os.name != "nt":
        return shlex.split(command)
    return [word.strip('"') for word in shlex.split(command, posix=False)]


def _pump_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    """Move stdout lines into the queue; None marks the end of the stream."""
    try:
        for raw in iter(lambda: stream.readline(MAX_ANSWER_BYTES), b""):
            lines.put(raw)
    except (OSError, ValueError):
        pass
    lines.put(None)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the adapter and whatever it started (its own process group on POSIX)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)


class TcpTransport:
    """Connects to an adapter that listens on TCP, e.g. on a phone or an emulator (IOP-20)."""

    def __init__(
        self, host: str, port: int, connect_timeout: float = 10.0, log: LogFunction = _ignore_log
    ) -> None:
        self.description = f"tcp:{host}:{port}"
        self._address = (host, port)
        self._connect_timeout = connect_timeout
        self._log = log
        self._sock: socket.socket | None = None
        self._buffer = b""

    def open(self) -> None:
        """Open a new connection: a new session for the adapter."""
        try:
            self._sock = socket.create_connection(self._address, timeout=self._connect_timeout)
        except OSError as exc:
            raise TransportStartError(f"cannot connect to {self.description}: {exc}") from exc
        self._buffer = b""
        self._log("event", f"connected to {self.description}")

    def send(self, data: bytes) -> None:
        """Write to the connection."""
        sock = self._require()
        try:
            sock.settimeout(self._connect_timeout)
            sock.sendall(data)
        except OSError as exc:
            raise TransportClosed(f"connection lost while sending: {exc}") from exc

    def receive_line(self, timeout: float) -> bytes:
        """Read until the next line end or the deadline."""
        sock = self._require()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_ANSWER_BYTES:
                line, self._buffer = self._buffer, b""
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportTimeout(f"no answer within {timeout:g} s")
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise TransportTimeout(f"no answer within {timeout:g} s") from None
            except OSError as exc:
                raise TransportClosed(f"connection lost: {exc}") from exc
            if not chunk:
                raise TransportClosed("the adapter closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def close(self, kill: bool = False) -> None:
        """Close the connection."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
            self._log("event", f"closed connection to {self.description}")

    def stderr_tail(self) -> list[str]:
        """A remote adapter's stderr is not visible to the suite."""
        return []

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise TransportClosed("not connected")
        return self._sock


def open_transport(adapter: str, log: LogFunction = _ignore_log) -> Transport:
    """Build the transport named by ``--adapter``: ``tcp:HOST:PORT`` or a command line."""
    if adapter.startswith("tcp:"):
        host, sep, port = adapter[len("tcp:") :].rpartition(":")
        if not sep or not host or not port.isdigit():
            raise TransportStartError(f"expected tcp:HOST:PORT, got {adapter!r}")
        return TcpTransport(host.strip("[]"), int(port), log=log)
    return SubprocessTransport(adapter, log=log)
