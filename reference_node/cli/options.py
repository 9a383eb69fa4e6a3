"""The `bluezone` parser class and the option types every command shares.

Each type checks one kind of value as the user typed it and raises
``argparse.ArgumentTypeError`` with a message saying what is expected, so a wrong value is a
usage error (exit status 64) that names the option, before any work is done.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import ipaddress
import math
import os
import re
import sys
import urllib.parse
from pathlib import Path
from typing import NoReturn

from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.cli.failures import EXIT_USAGE
from bluezone.reference_node.errors import NodeError

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_RST = re.compile(r"``|(?<![\w`])`(?=[^`\s])|(?<=[^`\s])`(?![\w`])")


def plain(text: str | None) -> str | None:
    """Docstring text without reStructuredText markup (double and single backquotes)."""
    return None if text is None else _RST.sub("", text)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep descriptions as written, and add each option's default to its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or default is None
            or isinstance(default, bool)
            or default in ([], "")
            or default is argparse.SUPPRESS
            or "default" in text
        ):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with status 64 (EX_USAGE)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message, then exit 64."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _fail(message: str) -> NoReturn:
    raise argparse.ArgumentTypeError(message)


def _shown(text: str) -> str:
    """The value as typed, quoted when it holds characters a terminal would not show."""
    return text if text.isprintable() else repr(text)


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        _fail(f"{text!r} is not {'an integer' if kind is int else 'a number'}")
    if not math.isfinite(value):
        _fail(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    """A count of at least 1."""
    value = int(_number(text, int))
    if value < 1:
        _fail(f"{text!r}: give a whole number of at least 1")
    return value


def non_negative_int(text: str) -> int:
    """A count of at least 0."""
    value = int(_number(text, int))
    if value < 0:
        _fail(f"{text!r}: give a whole number of at least 0")
    return value


def positive_seconds(text: str) -> float:
    """A duration in seconds, more than 0."""
    value = float(_number(text, float))
    if value <= 0:
        _fail(f"{text!r}: give a number of seconds greater than 0")
    return value


def non_negative_seconds(text: str) -> float:
    """A duration in seconds, 0 or more (0 usually means off)."""
    value = float(_number(text, float))
    if value < 0:
        _fail(f"{text!r}: give a number of seconds, 0 or more")
    return value


def fraction(text: str) -> float:
    """A number between 0 and 1."""
    value = float(_number(text, float))
    if not 0.0 <= value <= 1.0:
        _fail(f"{text!r}: give a number between 0 and 1")
    return value


def port(text: str) -> int:
    """A TCP port, 0..65535 (0: any free port)."""
    value = int(_number(text, int))
    if not 0 <= value <= 65_535:
        _fail(f"{text!r}: a port is 0..65535 (0: any free port)")
    return value


def host(text: str) -> str:
    """An IP address or a host name to listen on (no scheme, no port)."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not _HOSTNAME.fullmatch(text):
        _fail(f"{text!r}: give an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0")
    return text


def host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` to listen on (``[::1]:8443`` for IPv6)."""
    where, sep, number = text.rpartition(":")
    if not sep or not where:
        _fail(f"{text!r}: give HOST:PORT, e.g. 10.0.0.5:8443")
    return host(where.removeprefix("[").removesuffix("]")), port(number)


def url(text: str) -> str:
    """A key server's base URL: http or https, a host, maybe a port and a path."""
    example = "e.g. http://127.0.0.1:8080"
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        _fail(f"{text!r} is not a URL ({exc}); {example}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _fail(f"{text!r}: give the server's URL with http:// or https://, {example}")
    if parts.query or parts.fragment:
        _fail(f"{text!r}: a base URL has no ?query or #fragment")
    return text


def utc_date(text: str) -> datetime.date:
    """A calendar date, YYYY-MM-DD."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        _fail(f"{text!r}: give a date as YYYY-MM-DD, e.g. 2025-11-23")


def readable_file(text: str) -> Path:
    """A file that exists and can be read."""
    path = Path(text)
    if not path.exists():
        _fail(f"{_shown(text)}: no such file")
    if path.is_dir():
        _fail(f"{_shown(text)} is a directory: give a file")
    if not os.access(path, os.R_OK):
        _fail(f"{_shown(text)}: permission denied")
    return path


def new_file(text: str) -> Path:
    """A file to write: its directory must exist; the file need not."""
    path = Path(text)
    if not text or path.is_dir():
        _fail(f"{text!r} is a directory: give a file name")
    parent = path.parent
    if not parent.is_dir():
        _fail(f"{_shown(text)}: directory {_shown(str(parent))} does not exist: create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        _fail(f"{_shown(text)}: cannot write in {_shown(str(parent))}: permission denied")
    return path


def data_dir(text: str) -> Path:
    """A data directory: it may not exist yet, but must not be a file."""
    path = Path(text)
    if not text:
        _fail("give a directory")
    if path.exists() and not path.is_dir():
        _fail(f"{_shown(text)} is a file, not a directory: give a directory for the data")
    return path


def typed(parse: object, what: str) -> object:
    """Wrap a project parser (raising NodeError or ProtocolError) as an option type."""

    def check(text: str) -> object:
        try:
            return parse(text)  # type: ignore[operator]
        except (NodeError, ProtocolError, ValueError) as exc:
            _fail(f"not {what}: {exc}")

    check.__name__ = what
    return check


def export_key(text: str) -> str:
    """An export verification key as KEY_ID:VERSION:BASE64_DER."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        _fail("give the export key as KEY_ID:VERSION:BASE64_DER (or use --server-keys FILE)")
    try:
        base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        _fail("the BASE64_DER part of KEY_ID:VERSION:BASE64_DER is not base64")
    return text


def data_file(text: str) -> Path:
    """A file the command reads if present and writes: not a directory."""
    path = Path(text)
    if not text or path.is_dir():
        _fail(f"{text!r} is a directory: give a file name")
    return path


def note_key(text: str) -> str:
    """A signed-note verifier key, NAME+HASH+BASE64 (LOG-9), as the server or witness prints."""
    from bluezone.protocol.note import NoteVerifier

    try:
        NoteVerifier.from_vkey(text)
    except ProtocolError as exc:
        _fail(f"not a verifier key ({exc.code}): give the NAME+HASH+KEY line its owner printed")
    return text


def existing_dir(text: str) -> Path:
    """A directory that exists."""
    path = Path(text)
    if not path.is_dir():
        _fail(f"{_shown(text)}: {'not a directory' if path.exists() else 'no such directory'}")
    return path


def int_range(low: int, high: int) -> object:
    """An option type for a whole number in ``low..high``."""

    def check(text: str) -> int:
        value = int(_number(text, int))
        if not low <= value <= high:
            _fail(f"{text!r}: give a whole number from {low} to {high}")
        return value

    check.__name__ = f"int_{low}_{high}"
    return check
