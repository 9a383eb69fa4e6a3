"""The `bluezone` command line: one module per command group, and the demos.

``main`` is the console script; ``python -m bluezone.reference_node.cli`` runs it too. It
needs the ``node`` extra, except ``bluezone interop run``, which hands over to the suite.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `bluezone` command line; return the exit status (see ``cli.failures``).

    The commands are imported here, so that Ctrl-C while they load ends cleanly too.
    """
    try:
        from bluezone.reference_node.cli.commands import main as run
    except KeyboardInterrupt:
        print("\nbluezone: interrupted", file=sys.stderr)
        return 130
    return run(argv)


__all__ = ["main"]
