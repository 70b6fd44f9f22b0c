"""A small stored history for replay tests, written straight into PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 1, 11, tzinfo=UTC)

CANDIDATE = """\
teams:
  - name: core
    strategy: round_robin
    reviewers: 1
    members:
      - {id: x, name: X}
      - {id: a, name: A}
      - {id: b, name: B}
      - {id: c, name: C, active: false}
"""


def day(n: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, n, hour, tzinfo=UTC)


async def seed_team(pg: asyncpg.Pool, team: str, users: Sequence[str]) -> None:
    await pg.execute("INSERT INTO teams (team_name) VALUES ($1) ON CONFLICT DO NOTHING", team)
    for user in users:
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES ($1, $1, $2, true)",
            user,
            team,
        )


async def seed_pr(
    pg: asyncpg.Pool,
    pr_id: str,
    author: str,
    created: datetime,
    merged: datetime | None,
    reviewers: Sequence[tuple[str, datetime]] = (),
) -> None:
    await pg.execute(
        """INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id, status,
                                      created_at, merged_at)
           VALUES ($1, $1, $2, $3, $4, $5)""",
        pr_id,
        author,
        "MERGED" if merged else "OPEN",
        created,
        merged,
    )
    for user, at in reviewers:
        await pg.execute(
            """INSERT INTO assignment_events (pull_request_id, kind, user_id, source, at)
               VALUES ($1, 'assigned', $2, 'api', $3)""",
            pr_id,
            user,
            at,
        )


async def seed_small_history(pg: asyncpg.Pool) -> None:
    """Three PRs by x: the hand-computed case of test_replay.py."""
    await seed_team(pg, "core", ["x", "a", "b", "c"])
    await seed_pr(pg, "p1", "x", day(1), day(3), [("a", day(1)), ("b", day(1))])
    await seed_pr(pg, "p2", "x", day(2), day(4), [("a", day(2))])
    await seed_pr(pg, "p3", "x", day(5), None)


def write(tmp_path: Path, text: str, name: str = "teams.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def row_counts(pg: asyncpg.Pool) -> dict[str, int]:
    tables = [
        r["tablename"]
        for r in await pg.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    return {t: await pg.fetchval(f"SELECT count(*) FROM {t}") for t in sorted(tables)}
