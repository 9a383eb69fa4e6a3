"""The steps of a day at the portal, shared by the browser tests and the docs' screenshots.

A server with its portal runs in a thread on a settable clock (the browser and the node's
commands both talk to it over loopback); its first administrator is made on the command line
before it starts, as an operator does; TOTP codes are computed from the server's clock.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.support.select import Select

from bluezone.protocol import params
from bluezone.reference_node.cli.commands import build_parser, main
from bluezone.reference_node.node.identity import DeviceIdentity
from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.runner import ServerConfig
from bluezone.reference_node.store import Store
from tests.reference_node.node.server_thread import ServerThread, SettableClock

from .browser import click_and_load, element, fill

DAY_S = params.SECONDS_PER_DAY
ADMIN, ADMIN_PASSWORD = "hoa.admin", "lantern-river-4821-admin"
WORKER, FIRST_PASSWORD = "lan.nguyen", "first-orchid-7315-x"
WORKER_PASSWORD = "quiet-harbor-2093-q"


@dataclass
class Portal:
    """A running server with its portal, its clock, and the first administrator's secret."""

    server: ServerThread
    clock: SettableClock
    totp_secret: bytes
    work: Path

    @property
    def url(self) -> str:
        """The portal's base URL, ending in /portal/."""
        assert self.server.server is not None
        return self.server.server.portal_url

    def totp(self, secret: bytes | None = None) -> str:
        """A TOTP code of ``secret`` (default: the administrator's) for the clock's next step.

        A code is accepted once (PORTAL-14), so the clock moves one step on per code.
        """
        self.clock.now += 30
        return accounts.totp_at(secret or self.totp_secret, accounts.totp_step(self.clock.now))

    def add_staff(self, username: str, password: str, role: str = "case_worker") -> None:
        """An account put straight into storage, its password already its own."""
        assert self.server.server is not None
        storage = self.server.server.storage
        digest = accounts.hash_password(password)
        self.server.call(
            storage.add_staff(username, role, digest, None, int(self.clock.now), False)
        )


def first_admin(data: Path, work: Path) -> bytes:
    """``bluezone server portal add-admin``, as an operator runs it; return the TOTP secret."""
    password_file = work / "admin-password"
    password_file.write_text(ADMIN_PASSWORD + "\n")
    data.mkdir(parents=True, exist_ok=True)
    argv = ["server", "portal", "add-admin", "--data-dir", str(data), "--username", ADMIN]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([*argv, "--password-file", str(password_file)])
    assert status == 0, printed.getvalue()
    lines = dict(
        line.split(": ", 1) for line in printed.getvalue().splitlines() if line.startswith("totp-")
    )
    assert lines["totp-uri"].startswith("otpauth://totp/")
    typed = lines["totp-secret"].replace(" ", "")
    return base64.b32decode(typed + "=" * (-len(typed) % 8))


@contextlib.contextmanager
def portal_running(config: ServerConfig, now_s: float, work: Path) -> Iterator[Portal]:
    """Make the first administrator in ``config``'s storage, then serve from ``now_s`` on."""
    clock = SettableClock(now_s)
    secret = first_admin(config.data_dir, work)
    with ServerThread(config, clock) as server:
        yield Portal(server, clock, secret, work)


def path_of(browser: webdriver.Chrome) -> str:
    """The path of the page the browser shows."""
    return urllib.parse.urlsplit(browser.current_url).path


def sign_in(
    browser: webdriver.Chrome, portal: Portal, username: str, password: str, totp: str = ""
) -> None:
    """Open the sign-in page, fill it in and submit it; the next page has loaded on return."""
    browser.get(portal.url + "login")
    fill(browser, "form#login", username=username, password=password, totp=totp)
    click_and_load(browser, "#sign-in")


def sign_out(browser: webdriver.Chrome) -> None:
    """Press the header's sign-out button."""
    click_and_load(browser, "#sign-out")


def add_case_worker(browser: webdriver.Chrome, username: str, password: str) -> None:
    """As a signed-in administrator, create a case worker with an initial password."""
    click_and_load(browser, "#nav-staff")
    Select(element(browser, "form#add-staff select[name=role]")).select_by_value("case_worker")
    fill(browser, "form#add-staff", username=username, password=password)
    click_and_load(browser, "#add-staff-submit")


def change_password(browser: webdriver.Chrome, current: str, new: str) -> None:
    """Fill in and submit the password form (open, as after a first sign-in)."""
    fill(browser, "form#password", current=current, new=new, repeat=new)
    click_and_load(browser, "#password-submit")


def fill_issue_form(browser: webdriver.Chrome, kind: str = "confirmed") -> None:
    """Open the issue form and choose ``kind`` with symptom onset today (the date's maximum)."""
    click_and_load(browser, "#nav-issue")
    Select(element(browser, "form#issue select[name=kind]")).select_by_value(kind)
    onset = element(browser, "form#issue input[name=onset_date]")
    # a date input's typed format follows the browser's locale; its value is ISO everywhere
    browser.execute_script("arguments[0].value = arguments[0].max", onset)


def issue_code(browser: webdriver.Chrome, kind: str = "confirmed") -> str:
    """Issue one code from the form; return it, checked to be the grouped code shown."""
    fill_issue_form(browser, kind)
    click_and_load(browser, "#issue-submit")
    shown = element(browser, "#code")
    code = shown.get_attribute("data-code")
    assert code and shown.text.replace(" ", "") == code, shown.text
    return code


def node_command(argv: list[str], clock: SettableClock) -> dict:
    """A ``bluezone node`` command with --json in this process on ``clock``; its answer."""
    args = build_parser().parse_args([*argv, "--json"])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = args.handler(args, clock)
    assert status == 0, printed.getvalue()
    return json.loads(printed.getvalue())


def device_reports(portal: Portal, code: str, data: Path) -> int:
    """A device with two days of keys reports with ``code``, and uploads once it may.

    The report cuts today's key, whose embargo (KS-12) holds the upload back: the clock moves
    past it. Returns how many keys the server accepted.
    """
    with Store.open(data) as store:
        identity = DeviceIdentity(store)
        identity.current_key(portal.clock.now - DAY_S)
        identity.current_key(portal.clock.now - 1800)
    report = ["node", "report", "--code", code, "--server", portal.server.url]
    upload = node_command([*report, "--data", str(data)], portal.clock)["upload"]
    assert upload["state"] == "waiting", upload
    portal.clock.now = upload["due_s"] + 60
    (done,) = node_command(["node", "upload", "--data", str(data)], portal.clock)["uploads"]
    assert done["state"] == "uploaded", done
    return done["accepted"]
