"""Portal test fixtures: a server with the portal and its first administrator, HTTP clients
of it, and a headless Chromium per test (see browser.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from nacl.pwhash import argon2id
from selenium import webdriver

from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.portal.admins import add_admin
from bluezone.reference_node.server.portal.config import PortalConfig
from bluezone.reference_node.server.runner import RunningServer

from ..conftest import Clock, config_for, running
from .browser import chromium

ADMIN = "admin.hanoi"
ADMIN_PASSWORD = "sáu con vịt bơi qua sông"
WORKER = "tran.thi.b"
WORKER_FIRST_PASSWORD = "initial password 7431"
WORKER_PASSWORD = "bốn mùa hoa nở khắp nơi"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile, desktop-sized (browser.as_phone shrinks it)."""
    with chromium(tmp_path / "chromium-profile") as session:
        yield session


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its minimum cost: these tests are about the portal, not the hash.

    The real limits (PORTAL-3) are tested in test_accounts.py.
    """
    monkeypatch.setattr(accounts, "PASSWORD_OPSLIMIT", argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(accounts, "PASSWORD_MEMLIMIT", argon2id.MEMLIMIT_MIN)


class Staff:
    """One browser-like client of the portal: cookies, and the form token of the last page."""

    def __init__(self, server: RunningServer, clock: Clock, session: aiohttp.ClientSession):
        assert server.portal_url is not None
        self.base = server.portal_url
        self.clock = clock
        self.session = session
        self.csrf = ""

    async def get(self, path: str, **kwargs) -> tuple[int, str]:
        async with self.session.get(self.base + path, **kwargs) as answer:
            text = await answer.text()
            self._remember(text)
            return answer.status, text

    async def post(self, path: str, data: dict | aiohttp.FormData, **kwargs) -> tuple[int, str]:
        if isinstance(data, dict):
            data = {"csrf": self.csrf, **data}
        async with self.session.post(self.base + path, data=data, **kwargs) as answer:
            text = await answer.text()
            self._remember(text)
            self.url = str(answer.url)
            return answer.status, text

    def _remember(self, text: str) -> None:
        found = _CSRF.search(text)
        if found:
            self.csrf = found[1]

    def totp(self, secret: bytes, steps_ahead: int = 0) -> str:
        return accounts.totp_at(secret, accounts.totp_step(int(self.clock.now)) + steps_ahead)

    async def sign_in(self, username: str, password: str, totp: str = "") -> tuple[int, str]:
        await self.get("login")
        return await self.post("login", {"username": username, "password": password, "totp": totp})


@dataclasses.dataclass
class Deployment:
    server: RunningServer
    clock: Clock
    admin_secret: bytes
    tmp_path: Path

    @contextlib.asynccontextmanager
    async def staff(self) -> AsyncIterator[Staff]:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            yield Staff(self.server, self.clock, session)

    @contextlib.asynccontextmanager
    async def admin(self) -> AsyncIterator[Staff]:
        """The administrator, signed in; the clock moves on a TOTP step, as codes are once."""
        self.clock.now += 30
        async with self.staff() as admin:
            status, _ = await admin.sign_in(ADMIN, ADMIN_PASSWORD, admin.totp(self.admin_secret))
            assert status == 200 and admin.url.endswith("/portal/codes/new")
            yield admin

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[Staff]:
        """A case worker created by the administrator, signed in with its own password."""
        async with self.admin() as admin:
            await admin.get("staff")
            status, _ = await admin.post(
                "staff",
                {"username": WORKER, "role": "case_worker", "password": WORKER_FIRST_PASSWORD},
            )
            assert status == 200
        async with self.staff() as worker:
            await worker.sign_in(WORKER, WORKER_FIRST_PASSWORD)
            assert worker.url.endswith("/portal/account/password")
            new = {"current": WORKER_FIRST_PASSWORD, "new": WORKER_PASSWORD}
            status, _ = await worker.post("account/password", {**new, "repeat": WORKER_PASSWORD})
            assert status == 200 and worker.url.endswith("/portal/codes/new")
            yield worker


@contextlib.asynccontextmanager
async def deployed(tmp_path: Path, **changes) -> AsyncIterator[Deployment]:
    """A server with the portal (plain-HTTP cookies, English) and its first administrator."""
    portal = PortalConfig(secure_cookies=False, default_language="en")
    portal = dataclasses.replace(portal, **changes.pop("portal", {}))
    clock = Clock()
    async with running(config_for(tmp_path, portal=portal, **changes), clock) as server:
        secret = await add_admin(server.storage, ADMIN, ADMIN_PASSWORD, int(clock.now))
        yield Deployment(server, clock, secret, tmp_path)
