"""Deniability of uploads: chaff requests and answers of fixed sizes (spec DENY-1, DENY-2).

An observer of the encrypted traffic sees which devices talk to ``/v1/token`` and
``/v1/publish``, how much and for how long. So devices also send chaff (requests marked
``X-Chaff``, as GAEN's go-chaff and CWA's fake requests), which the server answers before
any storage access with a success-shaped answer after a delay drawn from the latencies of
recent real requests; and every answer of those endpoints, success or error, real or
chaff, is padded to the same size.
"""

from __future__ import annotations

import base64
import collections
import json
import secrets
from collections.abc import Callable
from typing import Any

from bluezone.protocol.params import TOKEN_BYTES, TOKEN_EXPIRY_STEP_S
from bluezone.protocol.upload import coarse_expiry

# spec DENY-1: the header that marks a chaff request (GAEN's name).
CHAFF_HEADER = "X-Chaff"
# spec DENY-2: answer sizes of the endpoints devices report through.
TOKEN_ANSWER_BYTES = 512
UPLOAD_ANSWER_BYTES = 2048
PADDED_ANSWERS = {"/v1/token": TOKEN_ANSWER_BYTES, "/v1/publish": UPLOAD_ANSWER_BYTES}
# spec DENY-1: the latencies of this many recent real requests per endpoint; a chaff answer
# waits as long as one of them, drawn at random (a fixed default until there is one).
LATENCY_WINDOW = 64
DEFAULT_LATENCY_S = 0.02


def _filler(count: int) -> str:
    # Random URL-safe base64 characters: a padded answer compresses no better than a real
    # one, and drawing them costs one read of the CSPRNG.
    return secrets.token_urlsafe(count)[:count]


def padded_json(value: dict[str, Any], size: int, filler: Callable[[int], str] = _filler) -> bytes:
    """Return ``value`` as JSON with a ``padding`` field making it a multiple of ``size``.

    Every answer the server makes fits in one ``size``; a longer one (never expected)
    grows to the next multiple rather than being cut (spec DENY-2).
    """
    bare = json.dumps({**value, "padding": ""}).encode()
    target = -(-len(bare) // size) * size
    return json.dumps({**value, "padding": filler(target - len(bare))}).encode()


class LatencyEnvelope:
    """Recent latencies of real requests per endpoint; chaff waits as long as one (DENY-1)."""

    def __init__(
        self,
        window: int = LATENCY_WINDOW,
        choose: Callable[[list[float]], float] = secrets.choice,
    ) -> None:
        """Keep ``window`` latencies per endpoint; ``choose`` picks one (a CSPRNG)."""
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(
            lambda: collections.deque(maxlen=window)
        )
        self._choose = choose

    def record(self, endpoint: str, seconds: float) -> None:
        """Remember how long a real request to ``endpoint`` took."""
        self._recent[endpoint].append(seconds)

    def draw(self, endpoint: str) -> float:
        """Return how long a chaff request to ``endpoint`` should take, in seconds."""
        recent = self._recent.get(endpoint)
        return self._choose(list(recent)) if recent else DEFAULT_LATENCY_S


def chaff_answer(path: str, now_s: int, token_validity_s: int) -> dict[str, Any]:
    """Return the success-shaped answer of a chaff request to ``path`` (spec DENY-1)."""
    if path == "/v1/token":
        token = secrets.token_bytes(TOKEN_BYTES)
        return {
            "token": base64.b64encode(token).decode(),
            # As a real answer: rounded up to the hour (SRV-4).
            "expires_s": coarse_expiry(now_s, token_validity_s, TOKEN_EXPIRY_STEP_S),
        }
    return {"accepted": 0, "warnings": []}
