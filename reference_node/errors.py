"""The errors of the node: one base class, one subclass per kind of failure.

Every class carries ``code``, a snake_case name that logs, the CLI and tests use instead of
message text. Messages name the operation and the offending field or length, never a key,
an identifier or an advertising payload.
"""

from __future__ import annotations


class NodeError(Exception):
    """Base class of every error raised by ``reference_node``."""

    code = "node_error"


class RiskDataError(NodeError):
    """A labelled risk data set (directory, experiment file or positions) cannot be read."""

    code = "risk_data_error"
