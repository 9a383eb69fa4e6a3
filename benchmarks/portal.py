"""Portal benchmark: codes issued per second through the portal, sign-ins per second.

Run from the repository root:

    python benchmarks/portal.py [--codes 400] [--sign-ins 8]

Baselines measured in the same run: the same number of codes issued through the HTTP API
(``POST /v1/ha/codes``) of the same server, and the same number of Argon2id verifications
(PORTAL-3's cost) run one after another, without HTTP, storage or sessions.
Everything goes to loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.portal.admins import add_admin
from bluezone.reference_node.server.portal.config import PortalConfig
from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.runner import ServerConfig, start_server

API_KEY = "benchmark-health-authority-key-0123"
PASSWORD = "a benchmark passphrase of some length"
UNLIMITED = Rate(per_minute=10**9, burst=10**9)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _config(data_dir: Path) -> ServerConfig:
    return ServerConfig(
        data_dir=data_dir,
        origin="bench.example/log",
        port=0,
        ha_api_key=API_KEY,
        publisher=PublisherConfig(region="BENCH"),
        ha_rate=UNLIMITED,
        client_rate=UNLIMITED,
        schedule=False,
        test_identity=True,
        daily_code_quota=10**9,
        portal=PortalConfig(
            secure_cookies=False, staff_code_rate=UNLIMITED, max_login_failures=10**6
        ),
    )


async def _sign_in(http: aiohttp.ClientSession, base: str, username: str, totp: str) -> str:
    """Sign in; return the form token of the page signed in to."""
    async with http.get(base + "login") as page:
        csrf = _CSRF.search(await page.text())[1]
    form = {"csrf": csrf, "username": username, "password": PASSWORD, "totp": totp}
    async with http.post(base + "login", data=form) as answer:
        text = await answer.text()
        if answer.status != 200:
            raise SystemExit(f"sign-in failed: {answer.status}")
    return _CSRF.search(text)[1]


async def _codes(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_server(_config(Path(tmp)))
        try:
            secret = await add_admin(server.storage, "bench.admin", PASSWORD, int(time.time()))
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                code = accounts.totp_at(secret, accounts.totp_step(int(time.time())))
                csrf = await _sign_in(http, server.portal_url, "bench.admin", code)
                started = time.perf_counter()
                for _ in range(count):
                    form = {"csrf": csrf, "kind": "confirmed", "validity": "1h"}
                    async with http.post(server.portal_url + "codes/new", data=form) as answer:
                        assert answer.status == 201, answer.status
                        await answer.read()
                portal_s = time.perf_counter() - started
            async with KeyServerClient(server.url) as client:
                started = time.perf_counter()
                for _ in range(count):
                    await client.issue_code(API_KEY)
                api_s = time.perf_counter() - started
        finally:
            await server.stop()
    return portal_s, api_s


async def _sign_ins(count: int) -> tuple[float, float]:
    """Sequential sign-ins of a case worker (password only) against raw verifications."""
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_server(_config(Path(tmp)))
        try:
            hashed = accounts.hash_password(PASSWORD)
            await server.storage.add_staff("bench.worker", "case_worker", hashed, None, 0, False)
            started = time.perf_counter()
            for _ in range(count):
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                    await _sign_in(http, server.portal_url, "bench.worker", "")
            portal_s = time.perf_counter() - started
        finally:
            await server.stop()
    started = time.perf_counter()
    for _ in range(count):
        accounts.verify_password(hashed, PASSWORD)
    return portal_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=400)
    parser.add_argument("--sign-ins", type=int, default=8)
    args = parser.parse_args()
    portal_s, api_s = asyncio.run(_codes(args.codes))
    print(f"codes through the portal: {args.codes / portal_s:,.0f}/s")
    print(f"codes through the API:    {args.codes / api_s:,.0f}/s (baseline)")
    print(f"portal / API: {api_s / portal_s:.2f}x")
    signed_s, raw_s = asyncio.run(_sign_ins(args.sign_ins))
    print(f"sign-ins, one after another: {args.sign_ins / signed_s:.2f}/s")
    print(f"Argon2id verifications alone: {args.sign_ins / raw_s:.2f}/s (baseline)")
    print(f"sign-in / verification: {raw_s / signed_s:.2f}x")


if __name__ == "__main__":
    main()
