"""Headless Chromium driven through selenium, for the portal's browser tests and screenshots.

The browser and its driver are the distribution's (Debian's ``chromium`` and
``chromium-driver``); selenium is given both paths, so it never downloads anything. Under CI
(CI=true) a missing one fails the tests instead of skipping them: CI must install both
(.ci/run does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

BROWSER_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
# Flags for a quiet, self-contained browser: no sandbox (containers, root), no network of
# its own (updates, sync, QUIC probes), /tmp instead of a small /dev/shm.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
DESKTOP = (1280, 900)
# A common phone's viewport in CSS pixels (iPhone 12 to 15), as a mobile browser lays it out.
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
# How long a page may take to load or an element to appear before a test fails.
WAIT_S = 30


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_paths() -> tuple[str, str]:
    """The paths of the system Chromium and its chromedriver.

    Skips the calling test when either is missing, or fails it under CI (CI=true).
    """
    browser, driver = _which(BROWSER_NAMES), _which(DRIVER_NAMES)
    missing = [
        package
        for package, path in (("chromium", browser), ("chromium-driver", driver))
        if path is None
    ]
    if missing:
        message = "not installed: " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must install them (.ci/run does)")
        pytest.skip(message)
    assert browser is not None and driver is not None
    return browser, driver


@contextlib.contextmanager
def chromium(profile: Path, size: tuple[int, int] = DESKTOP) -> Iterator[webdriver.Chrome]:
    """Start a headless Chromium with a fresh profile in ``profile``; quit it after the block."""
    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        session.set_page_load_timeout(WAIT_S)
        yield session
    finally:
        session.quit()


def as_phone(session: webdriver.Chrome) -> None:
    """Lay pages out from now on as a phone's browser does (PHONE: viewport, touch, meta tag)."""
    session.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def as_desktop(session: webdriver.Chrome) -> None:
    """Undo ``as_phone``."""
    session.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def fits_width(session: webdriver.Chrome) -> tuple[int, int]:
    """The page's scroll width and the viewport's width in CSS pixels (equal when it fits)."""
    return session.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];"
    )


def element(session: webdriver.Chrome, css: str) -> WebElement:
    """The element matching ``css``, waiting up to WAIT_S for it to appear."""
    return WebDriverWait(session, WAIT_S).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def click_and_load(session: webdriver.Chrome, css: str) -> None:
    """Click the element matching ``css`` and wait until the page it leads to has loaded.

    The old page is marked in its window object, which a new document does not have; while
    the navigation runs, the driver's answers may be errors, which the wait retries.
    """
    session.execute_script("window.bzOldPage = true")
    session.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(session, WAIT_S, ignored_exceptions=(WebDriverException,)).until(
        lambda s: s.execute_script(
            "return window.bzOldPage === undefined && document.readyState === 'complete'"
        )
    )


def fill(session: webdriver.Chrome, form_css: str, **fields: str) -> None:
    """Type ``fields`` (name -> text) into the inputs of the form matching ``form_css``."""
    form = element(session, form_css)
    for name, text in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(text)
