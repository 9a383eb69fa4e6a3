"""The browser fixture itself, against small pages served by aiohttp on loopback.

These show what the portal's browser tests rely on: a form post with a Secure, HttpOnly,
SameSite=Strict cookie kept over http://127.0.0.1, and a phone check that tells a page that
fits a phone from one that scrolls sideways.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web
from selenium.webdriver.common.by import By

from . import browser as browser_module
from .browser import as_desktop, as_phone, click_and_load, element, fill, fits_width

HEAD = '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
WIDE = '<div style="width:600px">a table wider than a phone</div>'


async def _form(request: web.Request) -> web.Response:
    body = (
        f"<!doctype html>{HEAD}<title>form</title>"
        '<form id="hello" method="post" action="/hello">'
        '<input name="name"><button id="send">send</button></form>'
    )
    return web.Response(text=body, content_type="text/html")


async def _hello(request: web.Request) -> web.Response:
    name = (await request.post())["name"]
    response = web.HTTPSeeOther("/greeting")
    response.set_cookie("session", str(name), secure=True, httponly=True, samesite="Strict")
    raise response


async def _greeting(request: web.Request) -> web.Response:
    name = request.cookies.get("session", "nobody")
    body = f'<!doctype html>{HEAD}<title>greeting</title><p id="greeting">hello {name}</p>'
    return web.Response(text=body, content_type="text/html")


async def _page(request: web.Request) -> web.Response:
    wide = WIDE if request.query.get("wide") else ""
    viewport = HEAD if request.query.get("viewport") else '<meta charset="utf-8">'
    body = f"<!doctype html>{viewport}<title>page</title><p>some text</p>{wide}"
    return web.Response(text=body, content_type="text/html")


@pytest.fixture
def site() -> Iterator[str]:
    """The small site's base URL, served from a thread with its own event loop."""
    app = web.Application()
    app.add_routes(
        [
            web.get("/form", _form),
            web.post("/hello", _hello),
            web.get("/greeting", _greeting),
            web.get("/page", _page),
        ]
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner.addresses[0][1]

    port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_a_form_post_sets_a_strict_secure_cookie_the_next_page_receives(browser, site):
    browser.get(f"{site}/form")
    fill(browser, "form#hello", name="Lan")
    click_and_load(browser, "#send")
    assert browser.current_url == f"{site}/greeting"
    assert element(browser, "#greeting").text == "hello Lan"
    (cookie,) = browser.get_cookies()
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # HttpOnly: the page's scripts cannot read it
    assert browser.execute_script("return document.cookie") == ""


@pytest.mark.parametrize(
    ("query", "fits"),
    [("viewport=1", True), ("viewport=1&wide=1", False), ("", False)],
    ids=["fits", "wide-element", "no-viewport-meta"],
)
def test_the_phone_check_tells_a_page_that_fits_from_one_that_does_not(browser, site, query, fits):
    as_phone(browser)
    browser.get(f"{site}/page?{query}")
    scroll_width, width = fits_width(browser)
    # without the viewport meta tag a phone lays the page out 980 pixels wide, too small to read
    assert (width == browser_module.PHONE["width"] and scroll_width <= width) is fits
    as_desktop(browser)
    browser.get(f"{site}/page?{query}")
    assert fits_width(browser)[1] == browser_module.DESKTOP[0]


def test_a_phone_screenshot_is_the_phone_viewport(browser, site):
    as_phone(browser)
    browser.get(f"{site}/page?viewport=1")
    png = browser.get_screenshot_as_png()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    phone = browser_module.PHONE
    scale = phone["deviceScaleFactor"]
    assert (width, height) == (phone["width"] * scale, phone["height"] * scale)
    assert browser.find_element(By.TAG_NAME, "p").text == "some text"


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(browser_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium, chromium-driver"):
        browser_module.chromium_paths()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must install them"):
        browser_module.chromium_paths()
