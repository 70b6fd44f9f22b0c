"""Test kit for review follow-through (issue 15): an SLA for team backend, review events
per host in their documented shapes, the scheduler driven by the test's clock."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx

from tests.webhooks.commands_kit import GITLAB_IDS, OPEN_FIXTURE, PR_IDS, handle
from tests.webhooks.conftest import Bot, reviewers

HOUR = 3600
# Per host: the fixture of a review that approves, requests changes, or only comments.
REVIEW_FIXTURE = {
    "github": {
        "approved": "pull_request_review__submitted",
        "changes_requested": "pull_request_review__submitted",
        "commented": "pull_request_review_comment__created",
    },
    "gitlab": {"approved": "merge_request__approval"},
    "gitea": {
        "approved": "pull_request_review_approved__reviewed",
        "changes_requested": "pull_request_review_rejected__reviewed",
        "commented": "pull_request_review_comment__reviewed",
    },
}
PUSH_FIXTURE = {
    "github": "pull_request__synchronize",
    "gitlab": "merge_request__update",
    "gitea": "pull_request__synchronized",
}


async def set_sla(
    pg: asyncpg.Pool,
    first_response: int | None = HOUR,
    escalate_after: int | None = 2 * HOUR,
    *,
    nudge: bool = True,
    hours: str = "always",
) -> None:
    """Team backend follows up; its members work ``hours`` (always: any clock time works)."""
    await pg.execute(
        """INSERT INTO team_sla (team_name, first_response, nudge, escalate_after)
           VALUES ('backend', $1, $2, $3)""",
        first_response,
        nudge,
        escalate_after,
    )
    await pg.execute("UPDATE users SET work_hours = $1 WHERE team_name = 'backend'", hours)


async def open_pr(bot: Bot, pg: asyncpg.Pool, host: str) -> list[str]:
    response = await bot.post(host, OPEN_FIXTURE[host])
    assert response.status_code == 200, response.text
    # Requests start at the test clock's time, whatever the database's clock says.
    await pg.execute(
        "UPDATE review_requests SET requested_at = $2 WHERE pull_request_id = $1",
        PR_IDS[host],
        bot.clock.now,
    )
    return await reviewers(pg, PR_IDS[host])


async def review(bot: Bot, host: str, user_id: str, verdict: str = "approved") -> httpx.Response:
    login = handle(host, user_id)

    def edit(payload: dict[str, Any]) -> None:
        if host == "github":
            payload["sender"]["login"] = login
            if "review" in payload:
                payload["review"]["user"]["login"] = login
                payload["review"]["state"] = verdict
            else:
                payload["comment"]["user"]["login"] = login
        elif host == "gitlab":
            payload["user"] = {"id": GITLAB_IDS.get(login, 99), "username": login, "name": login}
        else:
            payload["sender"]["login"] = login

    return await bot.post(host, REVIEW_FIXTURE[host][verdict], edit=edit)


async def push(bot: Bot, host: str) -> httpx.Response:
    def edit(payload: dict[str, Any]) -> None:
        if host == "gitlab":  # an update with new commits carries oldrev
            payload["object_attributes"]["oldrev"] = "0b4bc9a49b562e85de7cc9e834518ea6828729b9"
            payload["changes"] = {}

    return await bot.post(host, PUSH_FIXTURE[host], edit=edit)


async def replies(pg: asyncpg.Pool, pr_id: str) -> list[str]:
    rows = await pg.fetch(
        "SELECT payload FROM outbox WHERE pull_request_id = $1 AND kind = 'reply' ORDER BY id",
        pr_id,
    )
    return [_payload(r["payload"])["text"] for r in rows]


def _payload(value: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
    return found


async def run(bot: Bot, advance_hours: float = 0) -> int:
    bot.clock.advance(advance_hours * HOUR)
    handled: int = await bot.app.state.review_scheduler.run_pass()
    return handled
