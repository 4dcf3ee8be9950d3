"""The dashboard at ``/_fake/``, in a real browser: Debian's chromium, driven by Playwright.

The served fake holds a service, an environment with a live build, a build still
building and a few requests from twilio-python; the page must show them, its
buttons must steer the same fake (checked through the Python API), and it must read
on a 360 px wide window without scrolling sideways. Screenshots are kept as test
artifacts: in ``$FAKEBUILDS_ARTIFACTS`` when set, else in the test's ``tmp_path``.

Playwright cannot download browsers here; it drives ``/usr/bin/chromium`` (CI installs
it with apt-get). Without it, or without Playwright, these tests fail and say so.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme  # noqa: F401  (see below)

from pytest_fakebuilds.server import FakeServer

# trustme (and the cryptography it loads) is imported here, at collection, so that
# an in-process pytester run (tests/test_docs.py runs docs/offline.md's server
# example so) that first imports it cannot make pytester drop it afterwards: the
# re-imported cryptography no longer matches its Rust core, and every later
# FakeServer start fails with "TypeError: curve must be an EllipticCurve instance".

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--no-proxy-server",  # the page is on 127.0.0.1; no proxy of the environment applies
]
NARROW = 360


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium; missing, the test fails with what to install."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium "
            "(apt-get install -y --no-install-recommends chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("FAKEBUILDS_ARTIFACTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def world(fake_builds_server: FakeServer) -> dict[str, Any]:
    """A service with a live build on its environment, a second build still
    building, and requests from twilio-python at the server's own URL."""
    fake = fake_builds_server.fake
    service = fake.create_service("dashboard-demo")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    version = fake.create_function_version(service.sid, "/hello")
    live = fake.create_build(service.sid, [version])
    fake.advance(fake.build_duration)
    fake.deploy(environment.sid, live.sid)
    building = fake.create_build(service.sid, [version])

    client = fake_builds_server.client()  # twilio-python at the server's own URL
    services = client.serverless.v1.services.list()
    assert [s.sid for s in services] == [service.sid]
    assert client.serverless.v1.services(service.sid).builds(building.sid).fetch().status == (
        "building"
    )
    return {
        "service": service,
        "environment": environment,
        "live": live,
        "building": building,
    }


def open_dashboard(browser: Browser, server: FakeServer, width: int = 1280) -> Page:
    context = browser.new_context(
        http_credentials={"username": server.fake.account_sid, "password": server.fake.auth_token},
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    response = page.goto(f"{server.url}/_fake/")
    assert response is not None
    assert response.status == 200
    return page


def screenshot(page: Page, directory: Path, name: str) -> Path:
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    print(f"dashboard screenshot: {path}")
    return path


def png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width: int = struct.unpack(">I", data[16:20])[0]
    return width


def rows(page: Page, table: str) -> list[list[str]]:
    """The text of each body row of ``table``, cell by cell."""
    cells: list[list[str]] = page.eval_on_selector_all(
        f"{table} tr",
        "rows => rows.filter(r => r.querySelector('td'))"
        ".map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))",
    )
    return cells


def test_the_dashboard_shows_services_builds_and_requests(
    browser: Browser,
    fake_builds_server: FakeServer,
    world: dict[str, Any],
    artifacts: Path,
    record_property: Any,
) -> None:
    server = fake_builds_server
    before = server.fake.now()
    page = open_dashboard(browser, server)
    after = server.fake.now()
    service, environment = world["service"], world["environment"]
    live, building = world["live"], world["building"]

    assert page.title() == f"pytest-fakebuilds — {server.url}"
    heading = page.locator("h3", has_text=service.unique_name)
    assert heading.inner_text() == f"{service.unique_name} {service.sid}"
    # The environment, its domain and the build live on it.
    environments = rows(page, "table:not(#builds):not(#calls)")
    assert environments == [[environment.unique_name, environment.domain_name, live.sid]]
    # Every build, newest first, with its status on the fake's clock.
    builds = rows(page, "#builds")
    assert [row[:3] for row in builds] == [
        [building.sid, "building", building.runtime],
        [live.sid, "completed", live.runtime],
    ]
    # The latest requests, newest first: twilio-python's two calls.
    calls = rows(page, "#calls")
    assert [row[1:] for row in calls] == [
        ["fetch_build", f"GET /v1/Services/{service.sid}/Builds/{building.sid}", "200"],
        ["list_service", "GET /v1/Services", "200"],
    ]
    # The clock the page shows is the fake's, as the page was made.
    shown = datetime.fromisoformat(page.locator("#clock").inner_text())
    assert before <= shown <= after

    path = screenshot(page, artifacts, "dashboard.png")
    record_property("screenshot", str(path))
    assert png_width(path) == 1280


def test_the_dashboard_buttons_steer_the_served_fake(
    browser: Browser, fake_builds_server: FakeServer, world: dict[str, Any]
) -> None:
    server = fake_builds_server
    fake = server.fake
    page = open_dashboard(browser, server)

    with page.expect_navigation():
        page.get_by_role("button", name="Fail the next build").click()
    assert page.url == f"{server.url}/_fake/"  # the 303 came back to the page

    # The next build, made through the Python API, is the one that fails.
    doomed = fake.create_build(world["service"].sid, [*world["live"].function_versions])
    before = fake.now()
    with page.expect_navigation():
        page.get_by_role("button", name="Advance 10 s").click()
    moved = fake.now() - before
    # The clock runs in real time too: at least the 10 s the button adds.
    assert timedelta(seconds=10) <= moved < timedelta(seconds=70)

    reason = fake.failure_reason(doomed.sid)
    assert reason is not None
    builds = server.client().serverless.v1.services(world["service"].sid).builds
    assert builds(doomed.sid).fetch().status == "failed"
    # The page reloaded after the 303 shows it failed, and why.
    assert rows(page, "#builds")[0] == [
        doomed.sid,
        "failed",
        doomed.runtime,
        doomed.date_created.isoformat(),
        reason,
    ]


def test_the_dashboard_reads_on_a_narrow_window(
    browser: Browser,
    fake_builds_server: FakeServer,
    world: dict[str, Any],
    artifacts: Path,
    record_property: Any,
) -> None:
    page = open_dashboard(browser, fake_builds_server, width=NARROW)

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths == [NARROW, NARROW], f"scrollWidth, clientWidth: {widths}"
    # Everything is there, wrapped rather than cut.
    assert world["live"].sid in page.locator("#builds").inner_text()

    path = screenshot(page, artifacts, f"dashboard-{NARROW}px.png")
    record_property("screenshot", str(path))
    assert png_width(path) == NARROW


# The cells of one short word each (statuses, runtimes, times, headers) that the
# browser broke across lines.
BROKEN_WORDS = """() => [...document.querySelectorAll('td, th')]
  .filter(cell => /^\\S{1,16}$/.test(cell.innerText.trim()))
  .filter(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
  })
  .map(cell => cell.innerText.trim())"""


def test_the_dashboard_breaks_no_short_word_on_a_narrow_window(
    browser: Browser, fake_builds_server: FakeServer, world: dict[str, Any]
) -> None:
    page = open_dashboard(browser, fake_builds_server, width=NARROW)

    assert page.evaluate(BROKEN_WORDS) == []
