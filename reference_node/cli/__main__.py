"""``python -m bluezone.reference_node.cli``: the `bluezone` command."""

import sys

from bluezone.reference_node.cli.commands import main

sys.exit(main())
