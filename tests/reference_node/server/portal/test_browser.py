"""The portal in a real browser: headless Chromium driven through the steps of a working day.

The first administrator made on the command line signs in with TOTP and creates a case worker,
who changes the initial password and issues a code; a device (the node's command line) reports
with it; the statistics count it and the audit trail lists it without the code. Then: lockout,
a form posted without its CSRF token, sign-out, the two languages, a phone's screen.

The portal runs with a deployment's defaults: Secure cookies (Chromium keeps them for
http://127.0.0.1, a secure context) and Vietnamese unless the visitor picks English.
"""

from __future__ import annotations

import datetime
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from bluezone.reference_node.server.portal.config import PortalConfig
from tests.reference_node.server.conftest import config_for

from .browser import PHONE, as_phone, click_and_load, element, fill, fits_width
from .steps import (
    ADMIN,
    ADMIN_PASSWORD,
    DAY_S,
    FIRST_PASSWORD,
    WORKER,
    WORKER_PASSWORD,
    Portal,
    add_case_worker,
    change_password,
    device_reports,
    issue_code,
    path_of,
    portal_running,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.usefixtures("fast_hashing")
COUNTS = ("codes_issued", "codes_used", "uploads", "keys_published", "batches")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    """A server with its portal beside the API and its first administrator.

    Its clock starts at 01:05 UTC of the next day: a report, its key's two-hour embargo and the
    upload fall on one day, in UTC and in the authority's time zone (UTC+7).
    """
    now = (int(time.time()) // DAY_S + 1) * DAY_S + 3600 + 300
    config = config_for(tmp_path, portal=PortalConfig())
    with portal_running(config, now, tmp_path) as running:
        yield running


def text(browser: webdriver.Chrome, css: str) -> str:
    return element(browser, css).text


def counts_of(browser: webdriver.Chrome, day: datetime.date) -> dict[str, int]:
    """The statistics page's counts of ``day``."""
    row = element(browser, f'#stats tr[data-day="{day.isoformat()}"]')
    return {
        name: int(row.find_element(By.CSS_SELECTOR, f'td[data-name="{name}"]').text)
        for name in COUNTS
    }


def fits(browser: webdriver.Chrome) -> bool:
    """Whether the page is laid out at the phone's width and does not scroll sideways."""
    scroll_width, width = fits_width(browser)
    return width == PHONE["width"] and scroll_width <= width


def test_from_the_first_administrator_to_a_counted_upload(browser, portal):
    # The administrator made on the command line signs in with a code from its TOTP secret...
    sign_in(browser, portal, ADMIN, ADMIN_PASSWORD, portal.totp())
    assert path_of(browser) == "/portal/codes/new"
    for link in ("#nav-stats", "#nav-staff", "#nav-audit"):
        element(browser, link)
    # ... and creates a case worker.
    add_case_worker(browser, WORKER, FIRST_PASSWORD)
    assert element(browser, f'#staff-list tr[data-username="{WORKER}"]')
    sign_out(browser)
    assert path_of(browser) == "/portal/login"

    # The case worker's first sign-in leads to the password form, and nowhere else.
    sign_in(browser, portal, WORKER, FIRST_PASSWORD)
    assert path_of(browser) == "/portal/account/password"
    browser.get(portal.url + "codes/new")
    assert path_of(browser) == "/portal/account/password"
    change_password(browser, FIRST_PASSWORD, WORKER_PASSWORD)
    assert path_of(browser) == "/portal/codes/new"
    assert browser.find_elements(By.CSS_SELECTOR, "#nav-stats, #nav-staff, #nav-audit") == []

    # The case worker issues a code: shown grouped, with its expiry and a text message.
    code = issue_code(browser)
    grouped = text(browser, "#code")
    assert text(browser, "#expires")
    sms = element(browser, "#sms").get_attribute("value")
    assert code in sms.replace(" ", "") and PortalConfig().app_link in sms

    # A device reports with it and uploads its keys; the server publishes them.
    accepted = device_reports(portal, code, portal.work / "device")
    assert accepted == 2
    portal.server.publish()
    day = datetime.datetime.fromtimestamp(portal.clock.now, datetime.UTC).date()

    # Two hours without a click ended the case worker's session (20 minutes idle, PORTAL-5);
    # signed in again, the code's status: used.
    browser.get(portal.url + "codes/status")
    assert path_of(browser) == "/portal/login"
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    click_and_load(browser, "#nav-status")
    fill(browser, "form#status", code=grouped)
    click_and_load(browser, "#status-submit")
    assert element(browser, "#code-state").get_attribute("data-state") == "used"
    sign_out(browser)

    # The administrator sees the day's counts...
    sign_in(browser, portal, ADMIN, ADMIN_PASSWORD, portal.totp())
    click_and_load(browser, "#nav-stats")
    assert counts_of(browser, day) == {
        "codes_issued": 1,
        "codes_used": 1,
        "uploads": 1,
        "keys_published": accepted,
        "batches": 1,
    }
    # ... and the audit trail: who issued which kind of code, never the code.
    click_and_load(browser, "#nav-audit")
    (issued,) = browser.find_elements(By.CSS_SELECTOR, '#audit tr[data-action="code_issued"]')
    assert WORKER in issued.text
    page = browser.page_source
    assert code not in page and grouped not in page

    # Signing out ends the session on the server: its cookie, kept and sent again, opens nothing.
    session = browser.get_cookie("bz_session")
    assert session is not None and session["httpOnly"] and session["sameSite"] == "Strict"
    sign_out(browser)
    browser.get(portal.url + "stats")
    assert path_of(browser) == "/portal/login"
    browser.add_cookie({key: session[key] for key in ("name", "value", "path")})
    browser.get(portal.url + "stats")
    assert path_of(browser) == "/portal/login"


def test_five_failed_sign_ins_lock_the_account_even_against_the_right_password(browser, portal):
    portal.add_staff(WORKER, WORKER_PASSWORD)
    for _ in range(5):
        sign_in(browser, portal, WORKER, "not-the-password-1234")
        assert path_of(browser) == "/portal/login" and text(browser, "#error")
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    assert path_of(browser) == "/portal/login" and text(browser, "#error")
    assert browser.get_cookie("bz_session") is None
    # for 15 minutes (PORTAL-4)
    portal.clock.now += 15 * 60 - 1
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    assert path_of(browser) == "/portal/login"
    portal.clock.now += 1
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    assert path_of(browser) == "/portal/codes/new"


def test_a_form_posted_without_its_csrf_token_is_refused(browser, portal):
    portal.add_staff(WORKER, WORKER_PASSWORD)
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    # In the browser, signed in: the issue form without its hidden token issues nothing.
    browser.get(portal.url + "codes/new")
    browser.execute_script("document.querySelector('form#issue input[name=csrf]').remove()")
    click_and_load(browser, "#issue-submit")
    assert text(browser, "#error") and browser.find_elements(By.CSS_SELECTOR, "#code") == []
    # Outside it: a sign-in posted from elsewhere, with no token and no cookie.
    form = urllib.parse.urlencode({"username": WORKER, "password": WORKER_PASSWORD}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(portal.url + "login", data=form, timeout=30)
    assert refused.value.code == 403 and b'id="error"' in refused.value.read()
    assert "bz_session" not in str(refused.value.headers)


def test_the_interface_speaks_vietnamese_and_english(browser, portal):
    browser.get(portal.url + "login")
    click_and_load(browser, "#lang-en")
    assert path_of(browser) == "/portal/login"
    assert element(browser, "html").get_attribute("lang") == "en"
    assert text(browser, "#sign-in") == "Sign in"
    click_and_load(browser, "#lang-vi")
    assert element(browser, "html").get_attribute("lang") == "vi"
    assert text(browser, "#sign-in") == "Đăng nhập"
    # the choice stays: signed in, the pages are in Vietnamese
    portal.add_staff(WORKER, WORKER_PASSWORD)
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    assert element(browser, "html").get_attribute("lang") == "vi"
    assert text(browser, "#sign-out").startswith("Đăng xuất")


def test_the_pages_fit_a_phone_screen(browser, portal):
    portal.add_staff(WORKER, WORKER_PASSWORD)
    as_phone(browser)
    browser.get(portal.url + "login")
    assert fits(browser)
    sign_in(browser, portal, WORKER, WORKER_PASSWORD)
    assert fits(browser)
    issue_code(browser)
    assert fits(browser)
    sign_out(browser)
    sign_in(browser, portal, ADMIN, ADMIN_PASSWORD, portal.totp())
    for page in ("stats", "staff", "audit", "codes/status", "codes/bulk", "account/password"):
        browser.get(portal.url + page)
        assert path_of(browser) == f"/portal/{page}" and fits(browser), page
