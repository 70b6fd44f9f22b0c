"""The dashboard in Chromium: it loads cleanly, shows the seeded data, filters, signs in
and out, offers retry to admins only, fits a phone, and never reaches past 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import ADMIN, SCREENSHOT, USER, Site, needs_chromium
from tests.dashboard.seed import FAILED_ERROR, HOST_PR

pytestmark = needs_chromium


def _text(site: Site, css: str) -> str:
    return str(site.driver.find_element(By.CSS_SELECTOR, css).text)


def _wait_for_url(site: Site, part: str) -> None:
    WebDriverWait(site.driver, 10).until(ec.url_contains(part))


def test_the_page_loads_cleanly_with_the_seeded_teams_and_numbers(site: Site) -> None:
    site.open("/dashboard")
    assert site.driver.title == "Reviews · reviewbot"
    teams = [
        e.get_attribute("data-team")
        for e in site.driver.find_elements(By.CSS_SELECTOR, "tr[data-team]")
    ]
    assert teams == ["data", "mobile", "platform"]
    assert _text(site, "#total-open") == "12"  # 11 REST PRs still open + 1 host PR
    assert _text(site, "#outbox-failed") == "1" and _text(site, "#outbox-retrying") == "1"
    assert FAILED_ERROR in _text(site, "#outbox")
    assert HOST_PR in _text(site, "#oldest")
    platform = site.driver.find_element(By.CSS_SELECTOR, 'tr[data-team="platform"]')
    assert platform.find_element(By.CSS_SELECTOR, '[data-stat="members"]').text == "5"
    assert site.console_errors() == []
    if path := os.environ.get("DASHBOARD_SCREENSHOT"):  # docs/dashboard.png is made so
        site.driver.set_window_size(1360, 2150)
        site.driver.save_screenshot(str(Path(path) if path != "1" else SCREENSHOT))
    assert site.requested_hosts() == {"127.0.0.1"}


def _pick(site: Site, select_id: str, text: str) -> None:
    """As a mouse does: press on the list, then choose."""
    element = site.driver.find_element(By.ID, select_id)
    element.click()
    Select(element).select_by_visible_text(text)


def test_filters_apply_on_change(site: Site) -> None:
    site.open("/dashboard")
    _pick(site, "team", "mobile")
    _wait_for_url(site, "team=mobile")
    rows = site.driver.find_elements(By.CSS_SELECTOR, "tr[data-team]")
    assert [r.get_attribute("data-team") for r in rows] == ["mobile"]
    members = site.driver.find_elements(By.CSS_SELECTOR, "tr[data-user]")
    assert {m.get_attribute("data-user") for m in members} == {"mia", "noa", "oli"}
    _pick(site, "team", "All teams")
    _wait_for_url(site, "team=&")
    _pick(site, "host", "github")
    _wait_for_url(site, "host=github")
    prs = site.driver.find_elements(By.CSS_SELECTOR, "#oldest tr[data-pr]")
    assert [p.get_attribute("data-pr") for p in prs] == [HOST_PR]
    assert site.console_errors() == []
    assert site.requested_hosts() == {"127.0.0.1"}


def _sign_in(site: Site, token: str) -> None:
    field = site.driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    site.driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()


def test_login_logout_and_retry_for_the_admin_only(guarded_site: Site) -> None:
    site = guarded_site
    site.open("/dashboard")
    _wait_for_url(site, "/dashboard/login")
    _sign_in(site, "wrong-token")
    assert "That token is not valid." in _text(site, ".flash")
    _sign_in(site, USER)
    WebDriverWait(site.driver, 10).until(ec.presence_of_element_located((By.ID, "outbox")))
    assert site.driver.find_elements(By.CSS_SELECTOR, "button.retry, #retry-all") == []
    assert _text(site, ".role") == "USER"
    site.driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
    _wait_for_url(site, "/dashboard/login")
    assert "Signed out." in _text(site, ".flash")
    site.open("/dashboard")
    _wait_for_url(site, "/dashboard/login")  # the session is gone
    _sign_in(site, ADMIN)
    retry = WebDriverWait(site.driver, 10).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "button.retry"))
    )
    retry.click()
    WebDriverWait(site.driver, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".flash"))
    )
    assert "1 failed post-back sent back to the outbox." in _text(site, ".flash")
    assert _text(site, "#outbox-failed") == "0"
    assert site.driver.find_elements(By.CSS_SELECTOR, "button.retry") == []
    assert all("token" not in url for url in [site.driver.current_url])
    assert site.console_errors() == []
    assert site.requested_hosts() == {"127.0.0.1"}


def test_filters_by_keyboard_apply_only_when_asked(site: Site) -> None:
    site.open("/dashboard")
    team = site.driver.find_element(By.ID, "team")
    team.send_keys(Keys.ARROW_DOWN)  # browsing the choices changes no page
    assert "team=" not in site.driver.current_url
    chosen = Select(team).first_selected_option.get_attribute("value")
    team.send_keys(Keys.TAB, Keys.TAB, Keys.ENTER)  # to Host, to Apply, press it
    _wait_for_url(site, f"team={chosen}")
    assert site.console_errors() == []


def test_it_fits_a_phone_and_works_by_keyboard(site: Site) -> None:
    site.driver.set_window_size(390, 844)
    try:
        site.open("/dashboard")
        overflow = site.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, "the page scrolls sideways on a phone"
        site.open("/dashboard/pr?pull_request_id=" + quote(HOST_PR, safe=""))
        overflow = site.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, "the PR page scrolls sideways on a phone"
        site.open("/dashboard")
        skip = site.driver.find_element(By.CSS_SELECTOR, "a.skip")
        assert skip.get_attribute("href").endswith("#main")
        labels = site.driver.find_elements(By.CSS_SELECTOR, "label[for=team], label[for=host]")
        assert len(labels) == 2
        assert site.console_errors() == []
    finally:
        site.driver.set_window_size(1360, 1000)
