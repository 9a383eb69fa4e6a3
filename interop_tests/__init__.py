"""Conformance suite that drives any implementation through the adapter protocol.

Run it with ``python -m bluezone.interop_tests --adapter COMMAND`` (or ``bluezone interop
run``); the adapter protocol is spec/90-interop-adapter.md. The suite reads expectations
from the spec's vectors, shipped in this package (``bluezone.spec``), and from invariants,
and its harness never imports the library it may be judging. Beside the harness:
``reference_adapter`` drives ``bluezone.protocol``; ``mutants`` are broken adapters the
suite must catch; ``examples/node/adapter.js`` is an independent Node.js adapter. It needs
only the base install.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the suite with command-line arguments ``argv``; return the exit status.

    ``prog`` names the command in usage messages, e.g. "bluezone interop run".
    """
    from bluezone.interop_tests.cli import main as cli_main

    return cli_main(argv, prog)


__all__ = ["main"]
