"""Everything with I/O, one package per kind of code; the decisions are in bluezone.protocol.

``node`` (the device runtime), ``radio`` (backends), ``store`` (the device's SQLite store),
``server`` (the key server), ``client`` (its client, auditor and witness), ``cli`` (the
``bluezone`` command and the demos), ``vtime`` (virtual time) and ``lab`` (the risk lab, not
normative); ``errors`` holds ``NodeError`` and its subclasses. docs/architecture.md shows
what imports what, and which extra each package needs.
"""
