"""SRV-14: token buckets on a fake clock, and the Retry-After a refused client reads."""

from __future__ import annotations

import math

import pytest

from bluezone.reference_node.client.client import retry_after_s
from bluezone.reference_node.server.app import STORAGE_RETRY_AFTER_S, _error
from bluezone.reference_node.server.errors import ServerResponseError, StorageError
from bluezone.reference_node.server.ratelimit import ClientKeys, Rate, RateLimiter

from .conftest import config_for, run, serving

RATE = Rate(per_minute=30, burst=10)  # SRV-14's per-client default: one token every 2 s


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RateLimiter, key: bytes, attempts: int) -> int:
    """How many of ``attempts`` requests made at one instant are let through."""
    return sum(limiter.take(key) == 0.0 for _ in range(attempts))


def test_a_new_client_gets_one_burst_then_waits_for_a_token():
    limiter = RateLimiter(RATE, FakeClock())
    assert allowed(limiter, b"a", 10) == 10
    assert limiter.take(b"a") == 2.0


def test_an_idle_client_never_holds_more_than_one_burst():
    """SRV-14: idle time refills the bucket up to ``burst`` tokens, never beyond."""
    clock = FakeClock()
    limiter = RateLimiter(RATE, clock)
    assert allowed(limiter, b"a", 10) == 10
    clock.now += 24 * 3600
    assert allowed(limiter, b"a", 100) == RATE.burst


def test_tokens_come_back_at_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(RATE, clock)
    allowed(limiter, b"a", 10)
    clock.now += 1.0
    assert limiter.take(b"a") == 1.0  # half a token refilled, the other half still to wait
    clock.now += 1.0
    assert limiter.take(b"a") == 0.0
    clock.now += 6.0
    assert allowed(limiter, b"a", 5) == 3


def test_clients_have_separate_buckets():
    limiter = RateLimiter(RATE, FakeClock())
    assert allowed(limiter, b"a", 20) == 10
    assert allowed(limiter, b"b", 20) == 10


def test_the_least_recently_seen_client_is_forgotten_past_the_bound():
    limiter = RateLimiter(RATE, FakeClock(), max_clients=2)
    allowed(limiter, b"a", 10)
    allowed(limiter, b"b", 10)
    allowed(limiter, b"c", 10)  # forgets a, the least recently seen
    assert allowed(limiter, b"a", 20) == 10  # a starts again with a full bucket
    assert allowed(limiter, b"c", 1) == 0  # c was kept: its bucket is still empty


def test_a_zero_rate_never_refills():
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_minute=0, burst=1), clock)
    assert limiter.take(b"a") == 0.0
    clock.now += 3600
    assert math.isinf(limiter.take(b"a"))


def test_client_keys_are_opaque_and_stable_per_secret():
    keys, other = ClientKeys(b"s" * 32), ClientKeys(b"t" * 32)
    assert keys.key("192.0.2.1") == keys.key("192.0.2.1")
    assert len(keys.key("192.0.2.1")) == 16
    assert keys.key("192.0.2.1") != keys.key("192.0.2.2")
    assert keys.key("192.0.2.1") != other.key("192.0.2.1")
    assert b"192.0.2.1" not in keys.key("192.0.2.1")


def test_a_rate_limited_client_is_told_when_to_come_back(tmp_path):
    config = config_for(tmp_path, client_rate=Rate(per_minute=1, burst=1))

    async def scenario():
        async with serving(config) as (_server, client):
            for _ in range(2):
                try:
                    await client.request_token("7KQ4MX2P9H", [])
                except ServerResponseError as exc:
                    last = exc
            return last

    refused = run(scenario())
    assert (refused.status, refused.error) == (429, "rate_limited")
    assert refused.retry_after_s is not None and 1 <= refused.retry_after_s <= 60


def test_storage_trouble_asks_clients_to_come_back_later():
    response = _error(StorageError("SRV-10: the disk is full"), 503)
    assert response.headers["Retry-After"] == str(STORAGE_RETRY_AFTER_S)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("120", 120),
        (" 0 ", 0),
        ("86400", 86400),
        ("86401", None),
        ("99999999999999999999", None),
        ("-5", None),
        ("1.5", None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
        ("١٢", None),
        ("", None),
    ],
)
def test_retry_after_is_read_as_bounded_delta_seconds(header, seconds):
    assert retry_after_s(header) == seconds
