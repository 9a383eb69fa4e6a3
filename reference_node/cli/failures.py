"""How every `bluezone` command ends: one line on stderr and a documented exit status.

Commands raise; ``run_command`` turns what they raise into one line naming what was wrong
and what to do, and into the exit status below. ``--debug`` lets the exception through, with
its traceback. Exit status of every command:

- 0: done (``node check``: checked; the verdict is in the output);
- 1: the command could not do its work (a file, a data directory, the network, a server,
  a missing extra); the line says what to do;
- 2: a verification failed (``audit``: the log misbehaved; ``witness run``: refused to cosign);
- 64: usage error (an option is missing or has a wrong value), as BSD's ``EX_USAGE``;
- 70: an internal error (a bug: please report it with the ``--debug`` output);
- 130: interrupted (Ctrl-C).

``bluezone interop run`` keeps the suite's own statuses (0 passed, 1 a test failed, 2 the
suite could not start).
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable

from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.errors import NodeError

EXIT_OK, EXIT_ERROR, EXIT_FAILED = 0, 1, 2
EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 64, 70, 130

# The extra that brings each optional module (pyproject.toml); aiohttp is in two extras, so
# the command decides (COMMAND_EXTRAS).
MODULE_EXTRAS = {
    "bumble": "node",
    "bleak": "node",
    "dbus_fast": "node",
    "matplotlib": "plot",
    "asyncpg": "postgres",
    "aiohttp": None,
}
COMMAND_EXTRAS = {"node": "node", "demo": "node"}


class CommandError(NodeError):
    """A user-caused failure, with its message already saying what to do."""

    code = "command_error"

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


def missing_extra(error: ModuleNotFoundError, command: str) -> str | None:
    """The extra to install for ``error``, or None when the module is not an optional one."""
    module = (error.name or "").split(".")[0]
    if module not in MODULE_EXTRAS:
        return None
    return MODULE_EXTRAS[module] or COMMAND_EXTRAS.get(command, "server")


def describe_os_error(error: OSError) -> str:
    """One line for an operating-system error: the reason, the file, what to check."""
    reason = error.strerror or str(error)
    where = f" {error.filename}" if error.filename else ""
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied:{where}: choose a path you may write, or fix its permissions"
    if error.errno == errno.ENOSPC:
        return f"the disk is full{where and ' at' + where}: free some space"
    return f"{reason.lower()}:{where or ' (no file named)'}: check the path"


def run_command(prog: str, command: str, call: Callable[[], int], debug: bool) -> int:
    """Run ``call`` and return its status; turn what it raises into one line and a status.

    ``prog`` prefixes the line (e.g. "bluezone node report"); ``command`` is the first
    word after `bluezone`, used to name a missing extra. With ``debug`` every exception
    propagates unchanged.
    """
    try:
        return call()
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if debug:
            raise
        line, status = _explain(error, command)
        print(f"{prog}: {line}", file=sys.stderr)
        return status


def _explain(error: Exception, command: str) -> tuple[str, int]:
    if isinstance(error, CommandError):
        return str(error), error.status
    if isinstance(error, ModuleNotFoundError) and (extra := missing_extra(error, command)):
        return (
            f"this command needs the {extra!r} extra (no module {error.name!r}):"
            f" pip install 'bluezone-protocol[{extra}]'",
            EXIT_ERROR,
        )
    if isinstance(error, NodeError | ProtocolError):
        return f"error ({error.code}): {error}", EXIT_ERROR
    if isinstance(error, OSError):
        return describe_os_error(error), EXIT_ERROR
    kind = type(error).__name__
    return (
        f"internal error ({kind}: {error}); run again with --debug and report the traceback",
        EXIT_INTERNAL,
    )
