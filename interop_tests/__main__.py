"""``python -m bluezone.interop_tests``: run the conformance suite against an adapter."""

import sys

from bluezone.interop_tests.cli import main

sys.exit(main())
