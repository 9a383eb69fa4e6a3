"""``python -m interop_tests``: run the conformance suite against an adapter."""

import sys

from interop_tests.cli import main

sys.exit(main())
