"""Token-bucket rate limits, per API key or per client (spec SRV-14).

A client is known only by an HMAC of its address under a key drawn when the server starts,
kept in memory for as long as its bucket is not full: the server never stores or logs an
address (SRV-8), and restarting it forgets every client.
"""

from __future__ import annotations

import hmac
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` requests at once, refilled at ``per_minute`` requests a minute."""

    per_minute: float
    burst: int


class RateLimiter:
    """Token buckets keyed by bytes; the least recently used are forgotten past a bound."""

    def __init__(self, rate: Rate, clock: Callable[[], float], max_clients: int = 100_000) -> None:
        """Use ``clock`` (monotonic seconds) for refills."""
        self._rate = rate
        self._clock = clock
        self._max = max_clients
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()

    def take(self, key: bytes) -> float:
        """Spend one request of ``key``'s bucket; return 0, or seconds to wait if empty."""
        now = self._clock()
        per_s = self._rate.per_minute / 60.0
        tokens, then = self._buckets.pop(key, (float(self._rate.burst), now))
        tokens = min(float(self._rate.burst), tokens + (now - then) * per_s)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / per_s if per_s > 0 else math.inf
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


class ClientKeys:
    """Turns a client address into an opaque in-memory key (spec SRV-8, SRV-14)."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        """``secret`` is drawn at start and never written anywhere."""
        self._secret = secret

    def key(self, address: str | None) -> bytes:
        """Return HMAC-SHA256(secret, address) truncated to 16 bytes."""
        return hmac.digest(self._secret, (address or "").encode(), "sha256")[:16]
