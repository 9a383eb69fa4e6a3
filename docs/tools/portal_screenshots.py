"""Take the portal's screenshots for the docs into docs/assets/portal/ (committed; rerun after
a change to the portal's pages).

    python docs/tools/portal_screenshots.py [OUT_DIR]

Needs the dev extra (selenium) and the system's Chromium with its driver (Debian: chromium,
chromium-driver). It starts a key server with its portal on loopback in a temporary directory,
makes the first administrator on the command line, and walks the pages in headless Chromium
with the browser tests' steps (tests/reference_node/server/portal/steps.py): the administrator
creates a case worker, who issues codes, one of which a device then reports with; the
administrator looks at the statistics, the staff and the audit trail. Before the walk, a week
of history goes through the API and the node's commands (codes issued, devices reporting,
batches published), so the statistics have days to show. The server's clock starts at the real
time: the pages show the day the screenshots were taken; codes are drawn at random.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import this checkout
    sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402

from bluezone.reference_node.client.client import KeyServerClient  # noqa: E402
from bluezone.reference_node.server.portal.config import PortalConfig  # noqa: E402
from bluezone.reference_node.server.publisher import PublisherConfig  # noqa: E402
from bluezone.reference_node.server.ratelimit import Rate  # noqa: E402
from bluezone.reference_node.server.runner import ServerConfig  # noqa: E402
from tests.reference_node.server.portal.browser import (  # noqa: E402
    as_phone,
    chromium,
    click_and_load,
)
from tests.reference_node.server.portal.steps import (  # noqa: E402
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
    fill_issue_form,
    issue_code,
    portal_running,
    sign_in,
    sign_out,
)

OUT = ROOT / "docs" / "assets" / "portal"
WIDTH, MAX_HEIGHT = 960, 900
AUTHORITY = "CDC Hà Nội"
HA_API_KEY = "screenshots-health-authority-key-0123"
# The week before the walk: (codes issued, codes a device reported with) per day, oldest first.
HISTORY = ((3, 1), (5, 3), (4, 2), (7, 4), (6, 3), (4, 2))


def shoot(browser: webdriver.Chrome, path: Path) -> Path:
    """Save the page as a PNG, WIDTH pixels wide, as tall as its content up to MAX_HEIGHT."""
    metrics = {"width": WIDTH, "height": MAX_HEIGHT, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})
    height = browser.execute_script("return document.documentElement.scrollHeight")
    metrics["height"] = min(height, MAX_HEIGHT)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    path.write_bytes(browser.get_screenshot_as_png())
    browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": False})
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def api_code(portal: Portal) -> str:
    """A code issued through the API (POST /v1/ha/codes), as the authority's other tools do."""

    async def issue() -> str:
        async with KeyServerClient(portal.server.url) as client:
            return (await client.issue_code(HA_API_KEY)).code

    return portal.server.call(issue())


def make_history(portal: Portal, today_s: int, work: Path) -> None:
    """Walk the clock through HISTORY's days: codes, devices reporting, a batch a day."""
    for days_back, (issued, used) in zip(range(len(HISTORY), 0, -1), HISTORY, strict=True):
        portal.clock.now = today_s - days_back * DAY_S + 2 * 3600
        for device in range(used):  # each code is used before it expires
            device_reports(portal, api_code(portal), work / f"device-{days_back}-{device}")
        for _ in range(issued - used):
            api_code(portal)
        portal.server.publish()


def take(out: Path) -> list[Path]:
    """Walk the portal and write its screenshots into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    now_s = int(time.time())
    with tempfile.TemporaryDirectory(prefix="bluezone-portal-") as scratch:
        work = Path(scratch)
        config = ServerConfig(
            data_dir=work / "server",
            origin="keys.example.vn/log",
            port=0,
            ha_api_key=HA_API_KEY,
            # every device of the history comes from 127.0.0.1
            ha_rate=Rate(per_minute=6000, burst=1000),
            client_rate=Rate(per_minute=6000, burst=1000),
            publisher=PublisherConfig(region="VN", min_batch_keys=1),
            durable=False,
            schedule=False,
            test_identity=True,
            portal=PortalConfig(authority=AUTHORITY),
        )
        today_s = now_s - now_s % DAY_S
        with (
            portal_running(config, today_s - len(HISTORY) * DAY_S, work) as portal,
            chromium(work / "chromium") as browser,
        ):
            make_history(portal, today_s, work)
            portal.clock.now = now_s
            browser.get(portal.url + "login")
            click_and_load(browser, "#lang-en")
            shots.append(shoot(browser, out / "sign-in.png"))
            sign_in(browser, portal, ADMIN, ADMIN_PASSWORD, portal.totp())
            add_case_worker(browser, WORKER, FIRST_PASSWORD)
            sign_out(browser)
            sign_in(browser, portal, WORKER, FIRST_PASSWORD)
            change_password(browser, FIRST_PASSWORD, WORKER_PASSWORD)
            fill_issue_form(browser)
            shots.append(shoot(browser, out / "issue-form.png"))
            code = issue_code(browser)
            shots.append(shoot(browser, out / "issued-code.png"))
            issue_code(browser, "clinical")
            sign_out(browser)
            device_reports(portal, code, work / "device")
            portal.server.publish()
            sign_in(browser, portal, ADMIN, ADMIN_PASSWORD, portal.totp())
            for page, name in (("stats", "statistics"), ("staff", "staff"), ("audit", "audit")):
                browser.get(portal.url + page)
                shots.append(shoot(browser, out / f"{name}.png"))
            sign_out(browser)
            # A case worker on a phone, in Vietnamese.
            click_and_load(browser, "#lang-vi")
            as_phone(browser)
            sign_in(browser, portal, WORKER, WORKER_PASSWORD)
            issue_code(browser)
            shots.append(out / "issued-code-phone.png")
            shots[-1].write_bytes(browser.get_screenshot_as_png())
    return shots


def main() -> None:
    """Take every screenshot into the directory given, or docs/assets/portal/."""
    for path in take(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(path)


if __name__ == "__main__":
    main()
