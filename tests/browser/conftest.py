"""A real browser for the dashboard: Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium, against the app behind uvicorn on 127.0.0.1.

Without Chromium these tests skip, saying how to install it (``.ci/run`` does, so CI
always runs them). The browser may resolve no name at all but 127.0.0.1, and every
request it makes is recorded, so a test can show that nothing left this machine.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis.asyncio as redis

from bot.app import create_app
from config.settings import Secret, Settings
from tests.conftest import serving
from tests.dashboard.seed import Seeded, seed

INSTALL = "apt-get install -y chromium chromium-driver"
ADMIN = "browser-admin-token-0123456789"
USER = "browser-user-token-0123456789"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:  # pragma: no cover - the dev extra installs it
    webdriver = None


def _chromium() -> tuple[str, str] | None:
    browser = next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver and webdriver else None


FOUND = _chromium()
needs_chromium = pytest.mark.skipif(
    FOUND is None,
    reason=f"no Chromium: browser tests need Debian's chromium and chromium-driver ({INSTALL})",
)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Nothing but 127.0.0.1 resolves: a request elsewhere fails (and is recorded).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1360,1000",
)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert FOUND is not None
    binary, driver_path = FOUND
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Site:
    url: str
    seeded: Seeded
    driver: Any

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def console_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requested_hosts(self) -> set[str]:
        """Every host the browser sent a request to since the last call."""
        hosts = set()
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                url = urlsplit(message["params"]["request"]["url"])
                # The browser's own pages (chrome://, data:, about:) touch no network.
                if url.scheme in ("http", "https", "ws", "wss", "ftp"):
                    hosts.add(url.hostname or "")
        return hosts


async def _site(
    settings: Settings, pg: asyncpg.Pool, cache: redis.Redis, driver: Any
) -> AsyncIterator[Site]:
    with serving(create_app(settings)) as url:
        headers = {"authorization": f"Bearer {ADMIN}"} if settings.admin_token else {}
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            seeded = await seed(client, pg, cache)
        driver.delete_all_cookies()
        driver.get_log("browser"), driver.get_log("performance")  # start from nothing
        yield Site(url, seeded, driver)
        driver.get("about:blank")  # leave no page polling a stopped server


@pytest_asyncio.fixture
async def site(
    settings: Settings, pg: asyncpg.Pool, redis_client: redis.Redis, browser: Any
) -> AsyncIterator[Site]:
    """The open dashboard (no token configured), seeded."""
    async for found in _site(replace(settings, outbox_worker=False), pg, redis_client, browser):
        yield found


@pytest_asyncio.fixture
async def guarded_site(
    settings: Settings, pg: asyncpg.Pool, redis_client: redis.Redis, browser: Any
) -> AsyncIterator[Site]:
    """The dashboard behind tokens, seeded."""
    tokens = {"admin_token": Secret(ADMIN), "user_token": Secret(USER)}
    guarded = replace(settings, outbox_worker=False, **tokens)
    async for found in _site(guarded, pg, redis_client, browser):
        yield found


SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
