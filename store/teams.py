"""Teams and their members."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg import Record

from bot.core.models import AwayPeriod, Member, Mode, Team
from bot.core.selection import strategy_named
from store.db import Connection


async def insert_team(conn: Connection, team_name: str) -> bool:
    """Create the team; False when it already exists."""
    row = await conn.fetchrow(
        "INSERT INTO teams (team_name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING team_name",
        team_name,
    )
    return row is not None


async def upsert_members(conn: Connection, team_name: str, members: Sequence[Member]) -> set[str]:
    """Create or update the members as users of ``team_name``.

    Returns the teams that users were moved away from, so their cached data can be dropped.
    The rows are locked first so a concurrent move of the same user waits for us. New
    users are inserted in id order too: two requests inserting the same new users in
    different orders would each wait for the other's insert (a deadlock, i.e. a 500).
    """
    ids = [m.user_id for m in members]
    previous = await conn.fetch(
        "SELECT team_name FROM users WHERE user_id = ANY($1::text[]) ORDER BY user_id FOR UPDATE",
        ids,
    )
    await conn.execute(
        """INSERT INTO users (user_id, username, team_name, is_active)
           SELECT u.user_id, u.username, $1, u.is_active
             FROM unnest($2::text[], $3::text[], $4::boolean[]) AS u(user_id, username, is_active)
            ORDER BY u.user_id
           ON CONFLICT (user_id) DO UPDATE
              SET username = EXCLUDED.username, team_name = EXCLUDED.team_name,
                  is_active = EXCLUDED.is_active, updated_at = now()""",
        team_name,
        ids,
        [m.username for m in members],
        [m.is_active for m in members],
    )
    return {r["team_name"] for r in previous} - {team_name}


async def fetch_team(conn: Connection, team_name: str) -> Team | None:
    """The team with its settings and every member's cap and away periods, in one query."""
    rows = await conn.fetch(
        """SELECT t.team_name, t.strategy, t.reviewers, t.mode,
                  COALESCE(s.prefer_working_hours, false) AS prefer_working_hours,
                  u.user_id, u.username, u.is_active, u.max_open_reviews, a.firsts, a.lasts
             FROM teams t
             LEFT JOIN team_sla s ON s.team_name = t.team_name
             LEFT JOIN users u ON u.team_name = t.team_name
             LEFT JOIN LATERAL (
                  SELECT array_agg(w.first_day ORDER BY w.last_day, w.first_day) AS firsts,
                         array_agg(w.last_day ORDER BY w.last_day, w.first_day) AS lasts
                    FROM user_away w WHERE w.user_id = u.user_id) a ON true
            WHERE t.team_name = $1
            ORDER BY u.user_id""",
        team_name,
    )
    if not rows:
        return None
    members = tuple(_member(r) for r in rows if r["user_id"] is not None)
    first = rows[0]
    return Team(
        team_name,
        members,
        strategy_named(first["strategy"]),
        first["reviewers"],
        prefer_working_hours=first["prefer_working_hours"],
        mode=Mode(first["mode"]),
    )


def _member(row: Record) -> Member:
    away = tuple(
        AwayPeriod(start, end)
        for start, end in zip(row["firsts"] or (), row["lasts"] or (), strict=True)
    )
    return Member(row["user_id"], row["username"], row["is_active"], row["max_open_reviews"], away)


async def all_teams(conn: Connection) -> list[Team]:
    rows = await conn.fetch(
        """SELECT t.team_name, u.user_id, u.username, u.is_active
             FROM teams t LEFT JOIN users u ON u.team_name = t.team_name
            ORDER BY t.team_name, u.user_id"""
    )
    members: dict[str, list[Member]] = {}
    for r in rows:
        found = members.setdefault(r["team_name"], [])
        if r["user_id"] is not None:
            found.append(Member(r["user_id"], r["username"], r["is_active"]))
    return [Team(name, tuple(ms)) for name, ms in members.items()]
