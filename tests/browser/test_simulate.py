"""The simulator's page in Chromium: paste a team file, read the report, no console errors,
and it fits a phone (the wide tables scroll inside their card)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Site, needs_chromium

pytestmark = needs_chromium

TEAM_FILE = """teams:
  - name: platform
    strategy: round_robin
    reviewers: 2
    members:
      - {id: ana, name: Ana}
      - {id: ben, name: Ben}
      - {id: cai, name: Cai}
      - {id: dan, name: Dan}
      - {id: eve, name: Eve}
"""


def test_the_simulator_page_renders_the_report_cleanly(site: Site) -> None:
    site.open("/dashboard")
    site.driver.find_element(By.CSS_SELECTOR, 'nav.pages a[href="/dashboard/simulate"]').click()
    WebDriverWait(site.driver, 10).until(ec.presence_of_element_located((By.ID, "teams")))
    site.driver.find_element(By.ID, "teams").send_keys(TEAM_FILE)
    site.driver.find_element(By.ID, "seed").send_keys("7")
    site.driver.find_element(By.CSS_SELECTOR, "form.simulate button[type=submit]").click()
    WebDriverWait(site.driver, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'section[data-team="platform"]'))
    )
    team = site.driver.find_element(By.CSS_SELECTOR, 'section[data-team="platform"]')
    members = [
        e.get_attribute("data-member")
        for e in team.find_elements(By.CSS_SELECTOR, "tr[data-member]")
    ]
    assert members == ["ana", "ben", "cai", "dan", "eve"]
    reviews = team.find_element(By.CSS_SELECTOR, 'tr[data-figure="reviews"]')
    assert reviews.find_element(By.CSS_SELECTOR, '[data-side="actual"]').text.isdigit()
    for label in ("teams", "since", "until", "seed"):
        assert site.driver.find_elements(By.CSS_SELECTOR, f"label[for={label}]")
    assert site.console_errors() == []
    site.driver.set_window_size(390, 844)
    try:
        overflow = site.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, "the simulator page scrolls sideways on a phone"
    finally:
        site.driver.set_window_size(1360, 1000)
    assert site.requested_hosts() == {"127.0.0.1"}
