"""Suggest mode's record (``pr_suggestions``, migration 0011): whom reviewbot would request
on a PR and the host's id of the comment that says so. Never read as load."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from store.db import Connection


async def reviewers(conn: Connection, pr_id: str) -> tuple[str, ...]:
    found = await conn.fetchval(
        "SELECT reviewers FROM pr_suggestions WHERE pull_request_id = $1", pr_id
    )
    return tuple(found or ())


async def save(
    conn: Connection,
    pr_id: str,
    team: str,
    chosen: Sequence[str],
    explain: list[Any],
    *,
    fresh: bool = False,
) -> bool:
    """Record the suggestion; True when it is new or names other people than before."""
    before = await conn.fetchrow(
        "SELECT reviewers FROM pr_suggestions WHERE pull_request_id = $1 FOR UPDATE", pr_id
    )
    if before is not None and list(before["reviewers"]) == list(chosen):
        return False
    await conn.execute(
        """INSERT INTO pr_suggestions (pull_request_id, team_name, reviewers, explain)
           VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (pull_request_id) DO UPDATE
              SET team_name = EXCLUDED.team_name, reviewers = EXCLUDED.reviewers,
                  explain = CASE WHEN $5 THEN EXCLUDED.explain
                                 ELSE COALESCE(pr_suggestions.explain, '[]') || EXCLUDED.explain
                            END,
                  updated_at = now()""",
        pr_id,
        team,
        list(chosen),
        json.dumps(explain),
        fresh,
    )
    return True


async def explains(conn: Connection, pr_id: str) -> list[dict[str, Any]]:
    """Every choice's explanation behind the current suggestion, oldest first."""
    text = await conn.fetchval(
        "SELECT explain FROM pr_suggestions WHERE pull_request_id = $1", pr_id
    )
    found = json.loads(text) if text else []
    return [e for e in found if isinstance(e, dict)]


async def comment_id(conn: Connection, pr_id: str) -> int | None:
    found: int | None = await conn.fetchval(
        "SELECT comment_id FROM pr_suggestions WHERE pull_request_id = $1", pr_id
    )
    return found


async def remember_comment(conn: Connection, pr_id: str, comment: int) -> None:
    await conn.execute(
        "UPDATE pr_suggestions SET comment_id = $2 WHERE pull_request_id = $1", pr_id, comment
    )


async def last_explain(conn: Connection) -> Any:
    """The explanation the choice just left in this transaction (``store.selection``)."""
    text = await conn.fetchval("SELECT current_setting('reviewbot.explain', true)")
    return json.loads(text) if text else {}
