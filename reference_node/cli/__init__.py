"""The `bluezone` command line: one module per command group, and the demos.

``main`` is the console script; ``python -m bluezone.reference_node.cli`` runs it too. It
needs the ``node`` extra, except ``bluezone interop run``, which hands over to the suite.
"""

from bluezone.reference_node.cli.commands import main

__all__ = ["main"]
