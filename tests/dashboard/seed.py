"""Seeded data for the dashboard's tests, its browser tests and its screenshot.

Teams and REST PRs go through the API (so selection records real explanations); what only
a code host or time can produce — host PRs, post-backs in every state, old events — is
written with SQL, the way a webhook and the outbox worker would have left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import redis.asyncio as redis

HOST_PR = "github:acme/api#42"
HOST_PR_URL = "https://github.com/acme/api/pull/42"
FAILED_ERROR = "422 Reviews may only be requested from collaborators (dan)"


@dataclass(frozen=True)
class Seeded:
    failed_outbox_id: int
    short_pr: str  # fewer reviewers than wanted, with an explanation
    unassigned_pr: str  # nobody could be assigned


def _member(user_id: str, active: bool = True) -> dict[str, Any]:
    return {"user_id": user_id, "username": user_id.capitalize(), "is_active": active}


TEAMS = {
    "platform": [_member(u) for u in ("ana", "ben", "cai", "dan", "eve")],
    "mobile": [_member("mia"), _member("noa"), _member("oli", active=False)],
    "data": [_member("zed")],
}


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    found: dict[str, Any] = response.json()
    return found


async def _configure(pg: asyncpg.Pool, cache: redis.Redis) -> None:
    """What a team file would say: strategies, a cap, someone away today."""
    await pg.execute("UPDATE teams SET strategy = 'least_loaded' WHERE team_name = 'platform'")
    await pg.execute("UPDATE users SET max_open_reviews = 2 WHERE user_id = 'cai'")
    await pg.execute(
        "INSERT INTO user_away (user_id, first_day, last_day)"
        " VALUES ('eve', current_date - 1, current_date + 5)"
    )
    await cache.flushdb()  # the team cache must see the new configuration


async def _create_prs(client: httpx.AsyncClient) -> None:
    authors = ["ana"] * 4 + ["ben"] * 3 + ["dan"] * 2 + ["mia", "noa", "zed"]
    for n, author in enumerate(authors, 1):
        await _post(
            client,
            "/pullRequest/create",
            {"pull_request_id": f"PR-{n}", "pull_request_name": f"Change {n}", "author_id": author},
        )
    await _post(client, "/pullRequest/merge", {"pull_request_id": "PR-9"})


async def _age(pg: asyncpg.Pool) -> None:
    """Spread PRs and assignments over time: ages from hours to weeks, events 3/12/40 d old."""
    await pg.execute(
        """UPDATE pull_requests SET created_at = now() - n * interval '7 hours'
             FROM (SELECT pull_request_id, row_number() OVER (ORDER BY pull_request_id) AS n
                     FROM pull_requests) o
            WHERE o.pull_request_id = pull_requests.pull_request_id"""
    )
    await pg.execute(
        """UPDATE assignment_events SET at = now() - d * interval '1 day'
             FROM (SELECT id, (ARRAY[3, 12, 40])[1 + (row_number() OVER (ORDER BY id)) % 3] AS d
                     FROM assignment_events) o
            WHERE o.id = assignment_events.id"""
    )


async def _host_pr(pg: asyncpg.Pool) -> int:
    """A PR that came from a host, and post-backs pending, retrying and failed."""
    await pg.execute(
        "INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id, created_at)"
        " VALUES ($1, 'Fix token refresh', 'ana', now() - interval '9 days')",
        HOST_PR,
    )
    await pg.execute(
        "INSERT INTO pr_reviewers (pull_request_id, user_id, slot) VALUES ($1, 'ben', 0)", HOST_PR
    )
    await pg.execute(
        "INSERT INTO assignment_events (pull_request_id, kind, user_id, source, at)"
        " VALUES ($1, 'assigned', 'ben', 'webhook', now() - interval '2 days')",
        HOST_PR,
    )
    rows = [
        ("request", "ben", "pending", None),
        ("request", "cai", "pending", "503 from the host; retrying in 30 s"),
        ("request", "dan", "failed", FAILED_ERROR),
    ]
    ids = []
    for kind, user, state, error in rows:
        ids.append(
            await pg.fetchval(
                """INSERT INTO outbox (host, pull_request_id, kind, user_id, state, attempts,
                                       last_error)
                   VALUES ('github', $1, $2, $3, $4, $5, $6) RETURNING id""",
                HOST_PR,
                kind,
                user,
                state,
                0 if error is None else 3,
                error,
            )
        )
    return int(ids[-1])


async def seed(client: httpx.AsyncClient, pg: asyncpg.Pool, cache: redis.Redis) -> Seeded:
    for name, members in TEAMS.items():
        await _post(client, "/team/add", {"team_name": name, "members": members})
    await _configure(pg, cache)
    await _create_prs(client)
    await _age(pg)
    failed = await _host_pr(pg)
    return Seeded(failed_outbox_id=failed, short_pr="PR-10", unassigned_pr="PR-12")
