"""Real time that is far enough into its UTC day for the day before to be publishable.

spec SRV-6: the server holds a key back until 2 hours after its end. A test that reports the
keys of the days before "today" and expects them in the next batch needs a "today" at least
that far into its UTC day, at whatever hour the suite runs.
"""

from __future__ import annotations

DAY_S = 86_400
# The embargo (2 hours) and an hour of margin for the test itself.
SETTLE_S = 3 * 3600


def settled(now_s: float) -> float:
    """``now_s``, moved 3 hours back when it falls in the first 3 hours of its UTC day.

    At the result and at any real time after it, the keys of the days before the result's
    day are past their embargo.
    """
    return now_s - SETTLE_S if now_s % DAY_S < SETTLE_S else now_s
