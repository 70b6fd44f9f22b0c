"""The dashboard's content for seeded data: teams, numbers equal to /stats, filters, PRs,
post-backs and the PR page (through the app in-process; the browser tests drive Chromium)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest_asyncio
import redis.asyncio as redis

from tests.conftest import AppFactory
from tests.dashboard.seed import FAILED_ERROR, HOST_PR, HOST_PR_URL, Seeded, seed


@pytest_asyncio.fixture
async def seeded(
    make_client: AppFactory, pg: asyncpg.Pool, redis_client: redis.Redis
) -> AsyncIterator[tuple[httpx.AsyncClient, Seeded]]:
    async with make_client(outbox_worker=False) as client:
        yield client, await seed(client, pg, redis_client)


def _team_row(page: str, team: str) -> dict[str, str]:
    row = re.search(rf'<tr data-team="{team}">(.*?)</tr>', page, re.S)
    assert row, f"no row for team {team}"
    return dict(re.findall(r'data-stat="(\w+)">([^<]*)<', row.group(1)))


async def test_team_numbers_are_those_of_stats(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = seeded
    page = await client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    now = datetime.now(UTC)
    windows = {}
    for days in (7, 30):
        since = (now - timedelta(days=days)).isoformat()
        stats = (await client.get("/stats", params={"since": since})).json()
        windows[days] = {t["team_name"]: t for t in stats["teams"]}
    assert set(windows[7]) == {"platform", "mobile", "data"}
    for team, row in windows[30].items():
        shown = _team_row(page.text, team)
        assert int(shown["open_reviews"]) == row["open_reviews"], team
        assert int(shown["members"]) == row["members"], team
        assert int(shown["active_members"]) == row["active_members"], team
        assert int(shown["assigned_30d"]) == row["assignments"], team
        assert int(shown["assigned_7d"]) == windows[7][team]["assignments"], team
    # The seed spreads events over 3, 12 and 40 days: the two windows really differ.
    platform = _team_row(page.text, "platform")
    assert 0 < int(platform["assigned_7d"]) < int(platform["assigned_30d"])


async def test_member_numbers_are_those_of_stats(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = seeded
    page = (await client.get("/dashboard", params={"team": "platform"})).text
    since = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    users = (await client.get("/stats", params={"team_name": "platform", "since": since})).json()
    for user in users["users"]:
        row = re.search(rf'<tr data-user="{user["user_id"]}">(.*?)</tr>', page, re.S)
        assert row, user["user_id"]
        shown = dict(re.findall(r'data-stat="(\w+)">([^<]*)<', row.group(1)))
        assert int(shown["open_reviews"]) == user["open_reviews"]
        assert int(shown["assigned_7d"]) == user["assignments"]
    assert re.search(r'data-user="eve">.*?class="state away"', page, re.S)
    assert re.search(r'data-user="cai">.*?class="state at_capacity"', page, re.S)


async def test_filters_by_team_and_host(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = seeded
    mobile = (await client.get("/dashboard", params={"team": "mobile"})).text
    assert 'data-team="mobile"' in mobile and 'data-team="platform"' not in mobile
    assert 'data-user="mia"' in mobile and 'data-user="ana"' not in mobile
    assert 'data-pr="PR-10"' in mobile and 'data-pr="PR-1"' not in mobile
    hosted = (await client.get("/dashboard", params={"host": "github"})).text
    assert f'data-pr="{HOST_PR}"' in hosted and 'data-pr="PR-1"' not in hosted
    rest = (await client.get("/dashboard", params={"host": "api"})).text
    assert f'data-pr="{HOST_PR}"' not in rest and 'data-pr="PR-1"' in rest
    assert 'id="outbox-failed">0<' in rest  # post-backs belong to host PRs only
    everything = (await client.get("/dashboard", params={"team": "", "host": ""})).text
    assert 'data-team="data"' in everything  # an HTML form's empty choice means all


async def test_bad_filters_are_refused(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = seeded
    unknown_host = await client.get("/dashboard", params={"host": "svn"})
    assert unknown_host.status_code == 400
    assert unknown_host.json()["error"]["code"] == "BAD_REQUEST"
    unknown_team = await client.get("/dashboard", params={"team": "nobody"})
    assert unknown_team.status_code == 404


async def test_oldest_and_short_prs_with_reasons_and_links(
    seeded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    client, data = seeded
    page = html.unescape((await client.get("/dashboard")).text)
    oldest = re.findall(
        r'<tr data-pr="([^"]+)">', page.split('id="oldest"')[1].split("</table>")[0]
    )
    assert oldest[0] == HOST_PR  # 9 days old: the oldest open PR
    assert "PR-9" not in oldest  # merged
    short = page.split('id="short"')[1].split("</table>")[0]
    row = re.search(rf'data-pr="{data.short_pr}">(.*?)</tr>', short, re.S)
    assert row and "1 / 2" in row.group(1) and "1 inactive" in row.group(1)
    assert "1 the author" in row.group(1)
    unassigned = re.search(rf'data-pr="{data.unassigned_pr}">(.*?)</tr>', short, re.S)
    assert unassigned and "0 / 2" in unassigned.group(1)
    assert "nobody could be assigned" in unassigned.group(1)
    assert f'href="{HOST_PR_URL}"' in page
    assert 'href="/dashboard/pr?pull_request_id=github%3Aacme%2Fapi%2342"' in page


async def test_outbox_states_and_last_error(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, data = seeded
    page = html.unescape((await client.get("/dashboard")).text)
    for state in ("pending", "retrying", "failed"):
        assert f'id="outbox-{state}">1<' in page, state
    row = re.search(rf'<tr data-outbox="{data.failed_outbox_id}">(.*?)</tr>', page, re.S)
    assert row and "failed" in row.group(1) and FAILED_ERROR in row.group(1)
    assert f'name="id" value="{data.failed_outbox_id}"' in row.group(1)  # open API: admin


async def test_a_failed_reply_names_its_kind_and_nobody(
    seeded: tuple[httpx.AsyncClient, Seeded], pg: asyncpg.Pool
) -> None:
    """Reactions and replies (comment commands) are post-backs that name no person."""
    client, _ = seeded
    reply = await pg.fetchval(
        """INSERT INTO outbox (host, pull_request_id, kind, user_id, payload, lane, state,
                               attempts, last_error)
           VALUES ('github', $1, 'reply', NULL, '{"text": "hi"}', 'comments', 'failed', 3,
                   'HTTP 403: Resource not accessible by integration') RETURNING id""",
        HOST_PR,
    )
    page = html.unescape((await client.get("/dashboard")).text)
    assert 'id="outbox-failed">2<' in page
    row = re.search(rf'<tr data-outbox="{reply}">(.*?)</tr>', page, re.S)
    assert row and "reply" in row.group(1) and "None" not in row.group(1)


async def test_a_reviewer_refused_by_the_host_and_not_replaced_is_the_reason(
    seeded: tuple[httpx.AsyncClient, Seeded], pg: asyncpg.Pool
) -> None:
    """The removal carries no explanation; the page must not show the older choice's."""
    client, data = seeded
    gone = await pg.fetchval(
        "DELETE FROM pr_reviewers WHERE pull_request_id = $1 RETURNING user_id", data.short_pr
    )
    await pg.execute(
        """INSERT INTO assignment_events (pull_request_id, kind, replaced_user_id, source)
           VALUES ($1, 'removed', $2, 'webhook')""",
        data.short_pr,
        gone,
    )
    page = html.unescape((await client.get("/dashboard")).text)
    short = page.split('id="short"')[1].split("</table>")[0]
    row = re.search(rf'data-pr="{data.short_pr}">(.*?)</tr>', short, re.S)
    assert row and "0 / 2" in row.group(1)
    assert f"{gone} was taken off after the last choice" in row.group(1)


async def test_pr_page_names_the_rule_and_the_command_behind_a_reviewer(
    seeded: tuple[httpx.AsyncClient, Seeded], pg: asyncpg.Pool
) -> None:
    client, data = seeded
    explain = {
        "strategy": "random",
        "count": 1,
        "chosen": ["ben"],
        "because": {"rule": "database", "file": "migrations/0001.sql"},
        "reason": {"command": "r? backend", "by": "mia-gh", "word": "r?"},
    }
    await pg.execute(
        """UPDATE assignment_events SET explain = $2::jsonb
            WHERE id = (SELECT max(id) FROM assignment_events WHERE pull_request_id = $1)""",
        data.short_pr,
        json.dumps(explain),
    )
    await pg.execute(
        """INSERT INTO pr_routing (pull_request_id, files, notes)
           VALUES ($1, 3, '["rule docs: nobody in its pool is eligible"]')""",
        data.short_pr,
    )
    page = await client.get("/dashboard/pr", params={"pull_request_id": data.short_pr})
    text = html.unescape(page.text)
    assert "path rule <strong>database</strong> (migrations/0001.sql)" in text
    assert "<code>r? backend</code> from @mia-gh" in text
    assert "rule docs: nobody in its pool is eligible" in text


async def test_pr_page_explains_the_reviewers(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, data = seeded
    page = await client.get("/dashboard/pr", params={"pull_request_id": data.short_pr})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "least_loaded" not in text  # mobile uses the default strategy
    assert "Strategy <strong>random</strong>" in text
    assert "oli — inactive" in text and "mia — author" in text
    hosted = await client.get("/dashboard/pr", params={"pull_request_id": HOST_PR})
    assert f'href="{HOST_PR_URL}"' in hosted.text
    missing = await client.get("/dashboard/pr", params={"pull_request_id": "nope"})
    assert missing.status_code == 404


async def test_pages_load_only_their_own_assets(seeded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = seeded
    page = await client.get("/dashboard")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/dashboard/static/[^"]+)"', page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} == {"icon.svg", "dashboard.css", "dashboard.js"}
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text)
    assert set(external) == {HOST_PR_URL}  # links to the host only, nothing loaded from anywhere
    for asset in set(assets):
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 100, asset


def _figures(page: str, team: str) -> str:
    row = re.search(rf'<tr data-team="{team}">(.*?)</tr>', page, re.S)
    assert row
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()  # the text


async def test_a_teams_row_is_the_same_alone_and_among_all(
    seeded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    """All teams are figured in SQL, one team from its members: the two must agree."""
    client, _ = seeded
    everything = (await client.get("/dashboard")).text
    for team in ("platform", "mobile", "data"):
        alone = (await client.get("/dashboard", params={"team": team})).text
        assert _figures(alone, team) == _figures(everything, team)
