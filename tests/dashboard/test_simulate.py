"""/dashboard/simulate: the replay's report as a page, for admin sessions only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio

from config.settings import Secret
from tests.conftest import AppFactory
from tests.simulate.support import CANDIDATE, row_counts, seed_small_history

ADMIN = "simulate-admin-token-0123456789"
USER = "simulate-user-token-0123456789"
WINDOW = {"since": "2026-01-01", "until": "2026-01-11", "seed": "1"}


@pytest_asyncio.fixture
async def client(make_client: AppFactory, pg: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    await seed_small_history(pg)
    tokens = {"admin_token": Secret(ADMIN), "user_token": Secret(USER)}
    async with make_client(outbox_worker=False, **tokens) as found:
        yield found


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return found.group(1)


async def _signed_in(client: httpx.AsyncClient, token: str) -> str:
    """Signs in and returns the simulator page's CSRF token."""
    form = await client.get("/dashboard/login")
    done = await client.post("/dashboard/login", data={"token": token, "csrf": _csrf(form.text)})
    assert done.status_code == 303
    page = await client.get("/dashboard/simulate")
    assert page.status_code == 200
    return _csrf(page.text)


def _row(page: str, attribute: str) -> str:
    found = re.search(rf"<tr {attribute}[^>]*>.*?</tr>", page, re.S)
    assert found, f"no row {attribute}"
    return found.group(0)


def _numbers(row: str) -> list[str]:
    return re.findall(r'<span class="num"[^>]*>([^<]+)</span>', row)


async def test_an_admin_gets_the_side_by_side_report(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    csrf = await _signed_in(client, ADMIN)
    before = await row_counts(pg)
    page = await client.post(
        "/dashboard/simulate", data={"csrf": csrf, "teams": CANDIDATE, **WINDOW}
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert "3 PRs replayed" in html and "seed 1" in html
    assert 'data-team="core"' in html
    # The hand-computed case of tests/simulate/test_replay.py, simulated then actual.
    reviews = _row(html, 'data-figure="reviews"')
    assert _numbers(reviews) == ["3", "3"] and 'class="diff"' not in reviews
    peak = _row(html, 'data-figure="peak_max_over_mean"')
    assert _numbers(peak) == ["2.0", "2.6667"] and 'class="diff"' in peak
    assert _numbers(_row(html, 'data-figure="gini"')) == ["0.5833", "0.5833"]
    short = _row(html, 'data-figure="fewer_than_wanted"')
    assert _numbers(short) == ["0", "1"] and 'class="diff"' in short
    assert "as recorded" in _row(html, 'data-reason="as recorded"')
    member_a = _row(html, 'data-member="a"')
    assert _numbers(member_a) == ["2", "2", "1", "2", "0.8", "0.4"]
    assert member_a.count('class="diff"') == 4  # peak and mean open, both sides
    assert _row(html, 'data-member="b"').count('class="diff"') == 0
    # Bars share one scale per figure: assigned 2 of 2 is full, actual mean 0.4 of 0.8 half.
    assert "fill w20" in member_a and "fill actual w10" in member_a
    assert await row_counts(pg) == before  # nothing written


async def test_a_bad_file_shows_its_file_and_line(client: httpx.AsyncClient) -> None:
    csrf = await _signed_in(client, ADMIN)
    bad = CANDIDATE.replace("strategy: round_robin", "strategy: fastest")
    page = await client.post("/dashboard/simulate", data={"csrf": csrf, "teams": bad, **WINDOW})
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "pasted:3:15: teams[0].strategy: unknown strategy &#39;fastest&#39;" in page.text
    assert "nothing was simulated" in page.text
    assert "strategy: fastest" in page.text  # the pasted file is kept in the textarea


async def test_beyond_the_limits_and_a_bad_window_show_the_message(
    client: httpx.AsyncClient,
) -> None:
    csrf = await _signed_in(client, ADMIN)
    too_long = {"csrf": csrf, "teams": CANDIDATE, "since": "2020-01-01", "until": "2026-01-01"}
    page = await client.post("/dashboard/simulate", data=too_long)
    assert page.status_code == 200 and 'id="sim-error"' in page.text
    assert "the window is longer than 366 days" in page.text
    backwards = {**too_long, "since": "2026-02-01"}
    page = await client.post("/dashboard/simulate", data=backwards)
    assert page.status_code == 200 and "since: must be before until" in page.text
    seed = await client.post("/dashboard/simulate", data={**WINDOW, "csrf": csrf, "seed": "x"})
    assert seed.status_code == 200 and "seed: must be a whole number" in seed.text


async def test_a_user_sees_no_form_and_is_refused(client: httpx.AsyncClient) -> None:
    csrf = await _signed_in(client, USER)
    page = await client.get("/dashboard/simulate")
    assert 'action="/dashboard/simulate"' not in page.text and 'id="admin-only"' in page.text
    assert 'href="/dashboard/simulate"' in page.text  # linked from the nav
    refused = await client.post(
        "/dashboard/simulate", data={"csrf": csrf, "teams": CANDIDATE, **WINDOW}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"


async def test_a_forged_post_is_refused(client: httpx.AsyncClient) -> None:
    await _signed_in(client, ADMIN)
    forged = await client.post(
        "/dashboard/simulate", data={"csrf": "forged", "teams": CANDIDATE, **WINDOW}
    )
    assert forged.status_code == 403
    missing = await client.post("/dashboard/simulate", data={"teams": CANDIDATE, **WINDOW})
    assert missing.status_code == 403
    assert "3 PRs replayed" not in forged.text + missing.text


async def test_not_signed_in_goes_to_the_login(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard/simulate")
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/login"
    refused = await client.post("/dashboard/simulate", data={"teams": CANDIDATE, **WINDOW})
    assert refused.status_code == 403
