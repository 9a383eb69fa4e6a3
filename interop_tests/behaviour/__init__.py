"""Behavioural tests: what no static vector file can express (spec IOP-22).

They build inputs from random keys (seeded, so a run can be repeated) and from the
adapter's own answers, and judge the answers by invariants of the spec.
"""

from __future__ import annotations

from bluezone.interop_tests.behaviour import (
    advertisement,
    bz2020,
    checkpoint,
    export,
    framing,
    key_schedule,
    matching,
    merkle,
    receiver,
    risk,
)
from bluezone.interop_tests.model import InteropTest


def gate_tests() -> list[InteropTest]:
    """The tests that run first, whatever topics are selected (IOP-7, IOP-10)."""
    return list(framing.GATE)


def behaviour_tests() -> list[InteropTest]:
    """Every other behavioural test, topic by topic."""
    return [
        *framing.TESTS,
        *key_schedule.TESTS,
        *advertisement.TESTS,
        *matching.TESTS,
        *receiver.TESTS,
        *risk.TESTS,
        *merkle.TESTS,
        *export.TESTS,
        *checkpoint.TESTS,
        *bz2020.TESTS,
    ]
