"""The `bluezone` command line: one module per command group, and the demos.

``main`` is the console script; ``python -m bluezone.reference_node.cli`` runs it too.
"""

from bluezone.reference_node.cli.commands import main

__all__ = ["main"]
