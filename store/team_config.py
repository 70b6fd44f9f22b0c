"""Reading and writing what team files describe, for plan, apply and export.

``apply`` runs in one transaction that first takes a transaction-level advisory lock, so
two applies (CLI, SIGHUP, admin endpoint, another instance) never interleave: the second
one waits, then plans against what the first one committed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from asyncpg import Record

from bot.core.models import AwayPeriod, Mode
from bot.core.selection import strategy_named
from config.team_plan import Plan
from config.team_sla import TeamSla, WorkTime
from config.team_spec import MemberSpec, StoredState, StoredUser, TeamSpec, sort_away
from store import routing as routing_store
from store.db import Connection

APPLY_LOCK_KEY = 0x7265766965777463  # "reviewtc": one team-config apply at a time


async def lock_for_apply(conn: Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", APPLY_LOCK_KEY)


async def load_state(conn: Connection) -> StoredState:
    team_handles = await routing_store.team_handles(conn)
    teams = {
        r["team_name"]: TeamSpec(
            r["team_name"],
            strategy_named(r["strategy"]),
            r["reviewers"],
            handles=tuple(team_handles.get(r["team_name"], ())),
            sla=_sla(r),
            mode=Mode(r["mode"]),
        )
        for r in await conn.fetch(
            """SELECT t.team_name, t.strategy, t.reviewers, t.mode, s.first_response, s.nudge,
                      s.escalate_after, s.prefer_working_hours
                 FROM teams t LEFT JOIN team_sla s USING (team_name)"""
        )
    }
    routing = await routing_store.load_routing(conn)
    handles: dict[str, list[tuple[str, str]]] = defaultdict(list)
    owners = {}
    for r in await conn.fetch("SELECT user_id, host, handle FROM user_handles ORDER BY host"):
        handles[r["user_id"]].append((r["host"], r["handle"]))
        owners[(r["host"], r["handle"])] = r["user_id"]
    away: dict[str, list[AwayPeriod]] = defaultdict(list)
    self_set: dict[str, date] = {}
    for r in await conn.fetch("SELECT user_id, first_day, last_day, source FROM user_away"):
        if r["source"] == "command":
            self_set[r["user_id"]] = r["last_day"]
        else:
            away[r["user_id"]].append(AwayPeriod(r["first_day"], r["last_day"]))
    users = {}
    rows = await conn.fetch(
        """SELECT user_id, username, team_name, is_active, max_open_reviews,
                  timezone, work_hours, work_days FROM users"""
    )
    for r in rows:
        uid = r["user_id"]
        member = MemberSpec(
            uid,
            r["username"],
            r["is_active"],
            tuple(handles[uid]),
            r["max_open_reviews"],
            sort_away(away[uid]),
            WorkTime(r["timezone"], r["work_hours"], r["work_days"]),
        )
        users[uid] = StoredUser(r["team_name"], member)
    return StoredState(
        teams, users, owners, self_set, rules=routing.rules, codeowners=routing.codeowners
    )


def _sla(row: Record) -> TeamSla:
    if row["nudge"] is None:  # no team_sla row
        return TeamSla()
    return TeamSla(
        row["first_response"], row["nudge"], row["escalate_after"], row["prefer_working_hours"]
    )


async def write_plan(conn: Connection, plan: Plan) -> None:
    """Make the database match the plan's teams (only what the plan says changed)."""
    changed_teams = {c.name for c in plan.changes if c.kind.startswith("team_")}
    upserted = [t for t in plan.teams if t.name in changed_teams]
    await _upsert_teams(conn, upserted)
    await routing_store.write_team_handles(conn, [(t.name, t.handles) for t in upserted])
    await routing_store.write_routing(conn, plan.rules, plan.codeowners)
    changed_users = {c.name for c in plan.changes if c.kind in _USER_WRITES}
    members = [
        (team.name, m) for team in plan.teams for m in team.members if m.user_id in changed_users
    ]
    await _upsert_users(conn, sorted(members, key=lambda tm: tm[1].user_id))
    pruned = sorted(c.name for c in plan.changes if c.kind == "user_deactivated")
    if pruned:
        await conn.execute(
            """UPDATE users SET is_active = false, updated_at = now()
                WHERE user_id = ANY($1::text[])""",
            pruned,
        )


_USER_WRITES = {"user_created", "user_moved", "user_updated"}


async def _upsert_teams(conn: Connection, teams: list[TeamSpec]) -> None:
    if not teams:
        return
    await conn.execute(
        """INSERT INTO teams (team_name, strategy, reviewers, mode)
           SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[])
           ON CONFLICT (team_name) DO UPDATE
              SET strategy = EXCLUDED.strategy, reviewers = EXCLUDED.reviewers,
                  mode = EXCLUDED.mode""",
        [t.name for t in teams],
        [t.strategy.name for t in teams],
        [t.reviewers for t in teams],
        [t.mode.value for t in teams],
    )
    await _write_sla(conn, teams)


async def _write_sla(conn: Connection, teams: list[TeamSpec]) -> None:
    """Each team's SLA; open requests of those teams are looked at again, since their
    deadlines may have moved."""
    await conn.executemany(
        """INSERT INTO team_sla (team_name, first_response, nudge, escalate_after,
                                prefer_working_hours)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (team_name) DO UPDATE
              SET first_response = EXCLUDED.first_response, nudge = EXCLUDED.nudge,
                  escalate_after = EXCLUDED.escalate_after,
                  prefer_working_hours = EXCLUDED.prefer_working_hours""",
        [
            (
                t.name,
                t.sla.first_response,
                t.sla.nudge,
                t.sla.escalate_after,
                t.sla.prefer_working_hours,
            )
            for t in teams
        ],
    )
    await conn.execute(
        """UPDATE review_requests r SET due_at = now()
             FROM users u
            WHERE u.user_id = r.user_id AND u.team_name = ANY($1::text[])
              AND r.ended_at IS NULL AND r.first_responded_at IS NULL
              AND r.escalated_at IS NULL""",
        [t.name for t in teams],
    )


async def _upsert_users(conn: Connection, members: list[tuple[str, MemberSpec]]) -> None:
    if not members:
        return
    ids = [m.user_id for _, m in members]
    # A member who changes team starts the new team's round-robin queue afresh.
    await conn.execute(
        """INSERT INTO users (user_id, username, team_name, is_active, max_open_reviews,
                              timezone, work_hours, work_days)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::int[],
                                $6::text[], $7::text[], $8::text[])
           ON CONFLICT (user_id) DO UPDATE
              SET username = EXCLUDED.username, team_name = EXCLUDED.team_name,
                  is_active = EXCLUDED.is_active, max_open_reviews = EXCLUDED.max_open_reviews,
                  timezone = EXCLUDED.timezone, work_hours = EXCLUDED.work_hours,
                  work_days = EXCLUDED.work_days,
                  rr_turn = CASE WHEN users.team_name = EXCLUDED.team_name
                                 THEN users.rr_turn ELSE 0 END,
                  updated_at = now()""",
        ids,
        [m.username for _, m in members],
        [team for team, _ in members],
        [m.is_active for _, m in members],
        [m.max_open_reviews for _, m in members],
        [m.work.timezone for _, m in members],
        [m.work.hours for _, m in members],
        [m.work.days for _, m in members],
    )
    await conn.execute("DELETE FROM user_handles WHERE user_id = ANY($1::text[])", ids)
    # Only the file's periods: an away period a member set by comment command stays
    # (listed as kept by the plan; docs/teams.md).
    await conn.execute(
        "DELETE FROM user_away WHERE user_id = ANY($1::text[]) AND source = 'file'", ids
    )
    handles = [(m.user_id, host, handle) for _, m in members for host, handle in m.handles]
    await conn.executemany(
        "INSERT INTO user_handles (user_id, host, handle) VALUES ($1, $2, $3)", handles
    )
    periods = [(m.user_id, p.first_day, p.last_day) for _, m in members for p in m.away]
    await conn.executemany(
        "INSERT INTO user_away (user_id, first_day, last_day) VALUES ($1, $2, $3)", periods
    )
