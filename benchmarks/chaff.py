"""Chaff against real requests: answer sizes and the latency envelope (spec DENY-1, DENY-2).

Starts a key server on loopback, sends real token requests and uploads (codes issued for
the purpose, so they succeed) interleaved with chaff to the same endpoints, and prints, per
endpoint and kind, the answer sizes and the latency percentiles, then how much of the chaff
falls inside the real requests' 5th-95th percentile band. The baseline is the real
requests of the same run. Bounded in count; stops by itself. Run from the repository root:

    python benchmarks/chaff.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bluezone.protocol.keys import TemporaryExposureKey, day_start_interval, interval_number
from bluezone.protocol.upload import key_list_hmac
from bluezone.reference_node.client.client import UPLOAD_BODY_BYTES, _padded
from bluezone.reference_node.server.deniability import CHAFF_HEADER
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.runner import ServerConfig, start_server

HA_KEY = "benchmark-health-authority-key"
UNLIMITED = Rate(per_minute=10**9, burst=10**9)
JSON = {"Content-Type": "application/json"}


def _keys(rng: random.Random) -> list[TemporaryExposureKey]:
    today = day_start_interval(interval_number(time.time()))
    return [TemporaryExposureKey(rng.randbytes(16), today - 144 * d, 144) for d in range(1, 4)]


async def _timed(session, url: str, body: bytes, chaff: bool) -> tuple[float, int, int]:
    headers = {**JSON, CHAFF_HEADER: "1"} if chaff else JSON
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        answer = await response.read()
    return time.perf_counter() - started, len(answer), response.status


async def _run(count: int) -> dict[tuple[str, str], list[tuple[float, int, int]]]:
    rng = random.Random(1)
    results: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        config = ServerConfig(
            data_dir=Path(tmp),
            origin="chaff.bench/log",
            port=0,
            ha_api_key=HA_KEY,
            client_rate=UNLIMITED,
            ha_rate=UNLIMITED,
            durable=True,
            schedule=False,
        )
        server = await start_server(config)
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(count):
                    keys = _keys(rng)
                    secret = rng.randbytes(32)
                    async with session.post(
                        f"{server.url}/v1/ha/codes",
                        data=b"{}",
                        headers={**JSON, "Authorization": f"Bearer {HA_KEY}"},
                    ) as response:
                        code = (await response.json())["code"]
                    hmac = base64.b64encode(key_list_hmac(secret, keys)).decode()
                    token_body = _padded({"code": code, "key_hmac": hmac}, 512)
                    for kind, chaff in (("real", False), ("chaff", True)):
                        answer = await _timed(session, f"{server.url}/v1/token", token_body, chaff)
                        results.setdefault(("token", kind), []).append(answer)
                    # The real token answer above was consumed; fetch the token again.
                    async with session.post(
                        f"{server.url}/v1/ha/codes",
                        data=b"{}",
                        headers={**JSON, "Authorization": f"Bearer {HA_KEY}"},
                    ) as response:
                        code = (await response.json())["code"]
                    body = _padded({"code": code, "key_hmac": hmac}, 512)
                    async with session.post(
                        f"{server.url}/v1/token", data=body, headers=JSON
                    ) as response:
                        token = (await response.json())["token"]
                    upload = _padded(
                        {
                            "token": token,
                            "hmac_secret": base64.b64encode(secret).decode(),
                            "keys": [
                                {
                                    "key_data": base64.b64encode(k.key_data).decode(),
                                    "rolling_start": k.rolling_start,
                                    "rolling_period": k.rolling_period,
                                }
                                for k in keys
                            ],
                        },
                        UPLOAD_BODY_BYTES,
                    )
                    for kind, chaff in (("chaff", True), ("real", False)):
                        answer = await _timed(session, f"{server.url}/v1/publish", upload, chaff)
                        results.setdefault(("publish", kind), []).append(answer)
        finally:
            await server.stop()
    return results


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="real requests per endpoint")
    args = parser.parse_args()
    results = asyncio.run(_run(args.requests))
    print(f"{args.requests} real and {args.requests} chaff requests per endpoint, loopback")
    print(f"{'endpoint':8} {'kind':6} {'statuses':14} {'sizes':14} p10 ms  p50 ms  p90 ms")
    for endpoint in ("token", "publish"):
        real = results[(endpoint, "real")]
        for kind in ("real", "chaff"):
            rows = results[(endpoint, kind)]
            ms = [r[0] * 1000 for r in rows]
            sizes = sorted({r[1] for r in rows})
            statuses = sorted({r[2] for r in rows})
            p10, p50, p90 = (_percentile(ms, q) for q in (10, 50, 90))
            print(
                f"{endpoint:8} {kind:6} {json.dumps(statuses):14} {json.dumps(sizes):14} "
                f"{p10:6.1f}  {p50:6.1f}  {p90:6.1f}"
            )
        low = _percentile([r[0] for r in real], 5)
        high = _percentile([r[0] for r in real], 95)
        chaff = [r[0] for r in results[(endpoint, "chaff")]]
        inside = sum(low <= c <= high for c in chaff) / len(chaff)
        print(f"{endpoint:8} chaff inside the real 5-95% latency band: {inside:.0%}")


if __name__ == "__main__":
    main()
