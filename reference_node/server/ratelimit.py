"""Token-bucket rate limits, per API key or per client (spec SRV-14).

A client is known only by an HMAC of its address (of its /64 for IPv6) under a key kept
outside the database, never by the address itself (SRV-8). Behind a reverse proxy the
address comes from the proxy's forwarding header, believed only when the connection comes
from a configured proxy. Buckets live in memory (one process, SQLite) or in a table of the
PostgreSQL storage, shared by every process of the deployment.
"""

from __future__ import annotations

import abc
import hmac
import ipaddress
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bluezone.reference_node.server.errors import ConfigError

# spec SRV-14: IPv6 clients are bucketed by the /64 their provider gives them.
IPV6_CLIENT_PREFIX = 64
PROXY_HEADERS = ("x-forwarded-for", "forwarded")


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` requests at once, refilled at ``per_minute`` requests a minute."""

    per_minute: float
    burst: int

    def __str__(self) -> str:
        return f"{self.per_minute:g}/{self.burst}"


def refill(tokens: float, elapsed_s: float, rate: Rate) -> float:
    """The bucket's tokens after ``elapsed_s`` seconds of refill, capped at the burst."""
    return min(float(rate.burst), tokens + max(0.0, elapsed_s) * rate.per_minute / 60.0)


def wait_s(tokens: float, rate: Rate) -> float:
    """Seconds until a bucket holding ``tokens`` (< 1) holds one token."""
    per_s = rate.per_minute / 60.0
    return (1.0 - tokens) / per_s if per_s > 0 else math.inf


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
        tokens, then = self._buckets.pop(key, (float(self._rate.burst), now))
        tokens = refill(tokens, now - then, self._rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = wait_s(tokens, self._rate)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


class SharedBuckets(abc.ABC):
    """Token buckets every process of a deployment sees (PostgreSQL storage)."""

    @abc.abstractmethod
    async def take_token(self, key: bytes, rate: Rate, now_s: float) -> float:
        """Spend one token of ``key``'s bucket at wall time ``now_s``; 0 or seconds to wait."""


class Limiter:
    """One rate limit (spec SRV-14): in memory, or in shared buckets under a name."""

    def __init__(
        self,
        name: bytes,
        rate: Rate,
        shared: SharedBuckets | None,
        wall_clock: Callable[[], float],
        monotonic: Callable[[], float],
    ) -> None:
        """Keys are prefixed with ``name`` in shared buckets, so limits never mix."""
        self._name = name
        self._rate = rate
        self._shared = shared
        self._wall_clock = wall_clock
        self._memory = RateLimiter(rate, monotonic)

    async def take(self, key: bytes) -> float:
        """Spend one request of ``key``; return 0, or seconds to wait."""
        if self._shared is None:
            return self._memory.take(key)
        return await self._shared.take_token(self._name + key, self._rate, self._wall_clock())


class ClientAddresses:
    """Finds the client's address of a request, behind trusted proxies (spec SRV-14).

    A forwarding header is believed only when the connection comes from a trusted proxy;
    then the client is the rightmost address of the header that is not a trusted proxy
    (each proxy appends the address it saw, so entries to its left may be forged).
    """

    def __init__(self, trusted: Sequence[str] = (), header: str = "x-forwarded-for") -> None:
        """``trusted`` holds addresses or networks (CIDR); ``header`` one of PROXY_HEADERS."""
        if header not in PROXY_HEADERS:
            raise ConfigError(f"SRV-14: the proxy header is one of {', '.join(PROXY_HEADERS)}")
        try:
            self._trusted = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)
        except ValueError as exc:
            raise ConfigError(f"SRV-14: not an address or network: {exc}") from None
        self._header = header

    def _is_trusted(self, address: str) -> bool:
        ip = _parse_ip(address)
        return ip is not None and any(ip in network for network in self._trusted)

    def address(self, peer: str | None, headers: dict[str, str] | object) -> str:
        """Return the client's address for a connection from ``peer`` with ``headers``."""
        peer = peer or ""
        if not self._trusted or not self._is_trusted(peer):
            return peer
        values = headers.getall(self._header, []) if hasattr(headers, "getall") else []
        hops = [h for value in values for h in _hops(value, self._header)]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer


def _hops(value: str, header: str) -> list[str]:
    """The addresses of one X-Forwarded-For or Forwarded (RFC 7239 ``for=``) header value."""
    if header == "x-forwarded-for":
        return [part.strip() for part in value.split(",") if part.strip()]
    hops = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, text = pair.strip().partition("=")
            if name.lower() == "for":
                text = text.strip().strip('"')
                if text.startswith("["):  # "[2001:db8::1]:4711"
                    text = text[1:].partition("]")[0]
                elif text.count(":") == 1:  # "192.0.2.1:4711"
                    text = text.partition(":")[0]
                hops.append(text)
    return hops


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_bucket(address: str) -> str:
    """The text a client's bucket is keyed by: an IPv4 address, or an IPv6 /64 (SRV-14)."""
    ip = _parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return address.strip() if ip is None else str(ip)


class ClientKeys:
    """Turns a client address into an opaque key (spec SRV-8, SRV-14)."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        """``secret`` comes from the server's key file and is never stored in the database."""
        self._secret = secret

    def key(self, address: str | None) -> bytes:
        """Return HMAC-SHA256(secret, the address's bucket text) truncated to 16 bytes."""
        return hmac.digest(self._secret, client_bucket(address or "").encode(), "sha256")[:16]
