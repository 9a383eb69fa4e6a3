"""The unit of vector replay: one request of a case and what must come back (spec IOP-21).

Planners turn a vector case into steps; a case no op can express raises NotApplicable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bluezone.interop_tests.vectors import VectorCase


class NotApplicable(Exception):
    """This case cannot be expressed through the adapter ops."""


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a replayed case and what must come back (None: invalid_input)."""

    op: str
    params: dict[str, Any]
    expected: dict[str, Any] | None
    # Says which params are not the case's own (a placeholder the case does not give).
    note: str = ""


def need(fields: dict[str, Any], case: VectorCase, *names: str) -> dict[str, Any]:
    """Pick ``names`` from ``fields``; a case lacking one cannot be replayed."""
    missing = [name for name in names if name not in fields]
    if missing:
        raise NotApplicable(f"{case.group_type} case lacks {', '.join(missing)}")
    return {name: fields[name] for name in names}


def expected(case: VectorCase, *names: str) -> dict[str, Any] | None:
    """The fields a valid case's answer must carry; None for an invalid case."""
    return None if case.result == "invalid" else need(case.expected, case, *names)
