"""Read queries of the team leads' page: everything counted and limited in SQL.

Counts use the definitions of ``GET /stats``: assignments are ``store.stats.IS_ASSIGNMENT``
events, open reviews the reviewer rows of OPEN PRs — read here from ``pr_reviewers.pr_open``,
the copy of the PR's status that triggers keep (migration 0004) and whose partial index
makes the count index-only. Each is aggregated in one pass per table instead of a
sub-query per user, and summed per team in SQL, so the page stays a handful of statements
however many members there are (a test checks the numbers against ``/stats``).

Filters: ``team`` (the author's team for PRs and post-backs, the member's own team for
members) and ``host`` — a registry name, or ``""`` for PRs created through the REST API
(ids without a host prefix). Host names come in as parameters, never spelled here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from asyncpg import Record

from bot.core.dashboard import (
    LoadGroup,
    MemberRow,
    OutboxCounts,
    OutboxRow,
    PrRow,
    TeamFigures,
    figures_of,
    outbox_state,
)
from bot.core.models import MAX_REVIEWERS
from store.db import Connection
from store.stats import IS_ASSIGNMENT

# The host an id names by its prefix ($hosts: the registry's names), '' for REST API PRs:
# the same rule as bot.hosts.registry.host_prefix.
_HOST_OF = """(CASE WHEN strpos({id}, ':') > 0 AND split_part({id}, ':', 1) = ANY({hosts})
                THEN split_part({id}, ':', 1) ELSE '' END)"""


async def snapshot(conn: Connection) -> str:
    """The database's snapshot now, as text (``xmin:xmax:in-progress xids``).

    Two equal snapshots see exactly the same committed transactions, so what was read
    under one is what a read under the other would return; any transaction that writes
    and commits anywhere changes it. Reads without writes leave it alone."""
    return str(await conn.fetchval("SELECT pg_current_snapshot()::text"))


async def window_edges(
    conn: Connection, since_7d: datetime, since_30d: datetime
) -> tuple[datetime | None, datetime | None]:
    """The oldest assignment inside each window (None when a window is empty): the page's
    7- and 30-day counts stay what they are until the first of them leaves its window."""
    row = await conn.fetchrow(
        f"""SELECT (SELECT min(e.at) FROM assignment_events e
                     WHERE {IS_ASSIGNMENT} AND e.at >= $1 AND e.user_id IS NOT NULL) AS d7,
                   (SELECT min(e.at) FROM assignment_events e
                     WHERE {IS_ASSIGNMENT} AND e.at >= $2 AND e.user_id IS NOT NULL) AS d30""",
        since_7d,
        since_30d,
    )
    return (row["d7"], row["d30"]) if row else (None, None)


async def team_settings(conn: Connection, team: str) -> tuple[str, int] | None:
    """The team's strategy and reviewers per PR; None when there is no such team."""
    row = await conn.fetchrow("SELECT strategy, reviewers FROM teams WHERE team_name = $1", team)
    return (row["strategy"], row["reviewers"]) if row else None


async def team_names(conn: Connection) -> list[str]:
    rows = await conn.fetch("SELECT team_name FROM teams ORDER BY team_name")
    return [r["team_name"] for r in rows]


def _loads(team: str) -> str:
    """Per member (of team ``$1``, all when NULL): open reviews now, assignments since $3
    (7 days) and $4 (30 days), away on $2 (today). $2-$4 fixed by the callers."""
    in_team = (
        f"({team}::text IS NULL"
        f" OR x.user_id IN (SELECT user_id FROM users WHERE team_name = {team}))"
    )
    return f"""WITH open AS (
                SELECT r.user_id, count(*) AS n FROM pr_reviewers r
                 WHERE r.pr_open AND {in_team.replace("x.", "r.")} GROUP BY r.user_id),
            assigned AS (
                SELECT e.user_id, count(*) FILTER (WHERE e.at >= $3) AS d7, count(*) AS d30
                  FROM assignment_events e
                 WHERE {IS_ASSIGNMENT} AND e.at >= $4 AND e.user_id IS NOT NULL
                   AND {in_team.replace("x.", "e.")}
                 GROUP BY e.user_id),
            away AS (
                SELECT DISTINCT w.user_id FROM user_away w
                 WHERE (w.first_day IS NULL OR w.first_day <= $2) AND w.last_day >= $2),
            loads AS (
                SELECT u.user_id, u.username, u.team_name, u.is_active, u.max_open_reviews,
                       (away.user_id IS NOT NULL) AS away_today,
                       COALESCE(open.n, 0) AS open_reviews,
                       COALESCE(assigned.d7, 0) AS assigned_7d,
                       COALESCE(assigned.d30, 0) AS assigned_30d
                  FROM users u
                  LEFT JOIN open USING (user_id)
                  LEFT JOIN assigned USING (user_id)
                  LEFT JOIN away USING (user_id)
                 WHERE {team}::text IS NULL OR u.team_name = {team})"""


async def members(
    conn: Connection, team: str | None, today: date, since_7d: datetime, since_30d: datetime
) -> list[MemberRow]:
    """Every member (of ``team``) with open reviews now and assignments since each date."""
    rows = await conn.fetch(
        f"""{_loads("$1")}
            SELECT * FROM loads ORDER BY team_name, user_id""",
        team,
        today,
        since_7d,
        since_30d,
    )
    return [MemberRow(**dict(r)) for r in rows]


async def team_figures(
    conn: Connection, team: str | None, today: date, since_7d: datetime, since_30d: datetime
) -> list[TeamFigures]:
    """Per team: its members grouped in SQL by state and load (a few dozen groups, not
    every member), and its three busiest members. The figures are the core's arithmetic.

    Availability follows ``MemberRow.state``'s order: inactive, then away, then the cap."""
    capped = "(l.max_open_reviews IS NOT NULL AND l.open_reviews >= l.max_open_reviews)"
    rows = await conn.fetch(
        f"""{_loads("$1")},
            groups AS (
                SELECT g.team_name,
                       json_agg(json_build_array(g.is_active, g.away_today, g.capped,
                                                 g.open_reviews, g.n, g.d7, g.d30)) AS groups
                  FROM (SELECT l.team_name, l.is_active, l.away_today, {capped} AS capped,
                               l.open_reviews, count(*) AS n, sum(l.assigned_7d) AS d7,
                               sum(l.assigned_30d) AS d30
                          FROM loads l GROUP BY 1, 2, 3, 4, 5) g
                 GROUP BY g.team_name),
            busiest AS (
                SELECT l.team_name,
                       (array_agg(l.user_id ORDER BY l.open_reviews DESC, l.user_id))[1:3] AS ids,
                       (array_agg(l.open_reviews ORDER BY l.open_reviews DESC, l.user_id))[1:3]
                           AS loads
                  FROM loads l WHERE l.open_reviews > 0 GROUP BY l.team_name)
            SELECT t.team_name, t.strategy, t.reviewers, g.groups, b.ids, b.loads
              FROM teams t
              LEFT JOIN groups g ON g.team_name = t.team_name
              LEFT JOIN busiest b ON b.team_name = t.team_name
             WHERE $1::text IS NULL OR t.team_name = $1
             ORDER BY t.team_name""",
        team,
        today,
        since_7d,
        since_30d,
    )
    return [_figures(r) for r in rows]


def _figures(row: Record) -> TeamFigures:
    groups = [LoadGroup(*g) for g in json.loads(row["groups"] or "[]")]
    busiest = tuple(zip(row["ids"] or (), row["loads"] or (), strict=True))
    return figures_of(row["team_name"], row["strategy"], row["reviewers"], groups, busiest)


def _open_prs(columns: str) -> str:
    """Open PRs matching the filters: $1 the author's team, $2 the host, $3 the hosts."""
    host_of = _HOST_OF.format(id="p.pull_request_id", hosts="$3::text[]")
    return f"""SELECT {columns}
                 FROM pull_requests p
                 JOIN users a ON a.user_id = p.author_id
                 JOIN teams t ON t.team_name = a.team_name
                WHERE p.status = 'OPEN' AND ($1::text IS NULL OR a.team_name = $1)
                  AND ($2::text IS NULL OR {host_of} = $2)"""


_PR_COLUMNS = """p.pull_request_id, p.pull_request_name, p.author_id, a.team_name, p.created_at,
                 t.reviewers AS wanted"""
_REVIEWERS = """ARRAY(SELECT r.user_id FROM pr_reviewers r
                  WHERE r.pull_request_id = s.pull_request_id ORDER BY r.slot) AS reviewers"""


def _pr(row: Record) -> PrRow:
    found = dict(row)
    found.pop("total", None)
    found["reviewers"] = tuple(found["reviewers"])
    raw = found.pop("explain", None)
    return PrRow(**found, explain=json.loads(raw) if raw is not None else None)


async def open_count(
    conn: Connection, team: str | None, host: str | None, hosts: Sequence[str]
) -> int:
    """How many open PRs match: from the index of open PRs, joining nothing without a team."""
    host_of = _HOST_OF.format(id="p.pull_request_id", hosts="$3::text[]")
    found = await conn.fetchval(
        f"""SELECT count(*) FROM pull_requests p
             WHERE p.status = 'OPEN' AND ($2::text IS NULL OR {host_of} = $2)
               AND ($1::text IS NULL
                    OR p.author_id IN (SELECT user_id FROM users WHERE team_name = $1))""",
        team,
        host,
        list(hosts),
    )
    return int(found or 0)


async def oldest_open(
    conn: Connection, team: str | None, host: str | None, hosts: Sequence[str], limit: int
) -> list[PrRow]:
    """The ``limit`` oldest open PRs (read in order from the index of open PRs)."""
    rows = await conn.fetch(
        f"""WITH s AS ({_open_prs(_PR_COLUMNS)}
                       ORDER BY p.created_at, p.pull_request_id LIMIT $4)
            SELECT s.*, {_REVIEWERS} FROM s ORDER BY s.created_at, s.pull_request_id""",
        team,
        host,
        list(hosts),
        limit,
    )
    return [_pr(r) for r in rows]


async def understaffed(
    conn: Connection, team: str | None, host: str | None, hosts: Sequence[str], limit: int
) -> tuple[list[PrRow], int]:
    """Open PRs with fewer reviewers than their team wants (oldest first), each with its
    latest explanation record; and how many there are in all.

    No team wants more than ``MAX_REVIEWERS``: PRs that have that many are dropped before
    anything is joined, so only the few short ones meet their author and team."""
    host_of = _HOST_OF.format(id="p.pull_request_id", hosts="$3::text[]")
    rows = await conn.fetch(
        f"""WITH have AS (
                SELECT r.pull_request_id, count(*) AS n FROM pr_reviewers r
                 WHERE r.pr_open GROUP BY r.pull_request_id),
            few AS (
                SELECT p.pull_request_id, COALESCE(h.n, 0) AS n
                  FROM pull_requests p LEFT JOIN have h USING (pull_request_id)
                 WHERE p.status = 'OPEN' AND COALESCE(h.n, 0) < $5
                   AND ($2::text IS NULL OR {host_of} = $2)),
            short AS (
                SELECT {_PR_COLUMNS}, count(*) OVER () AS total
                  FROM few f
                  JOIN pull_requests p USING (pull_request_id)
                  JOIN users a ON a.user_id = p.author_id
                  JOIN teams t ON t.team_name = a.team_name
                 WHERE f.n < t.reviewers AND ($1::text IS NULL OR a.team_name = $1)
                 ORDER BY p.created_at, p.pull_request_id LIMIT $4)
            SELECT s.pull_request_id, s.pull_request_name, s.author_id, s.team_name,
                   s.created_at, s.wanted, s.total, {_REVIEWERS},
                   x.explain,
                   (SELECT e.replaced_user_id FROM assignment_events e
                     WHERE e.pull_request_id = s.pull_request_id AND e.kind = 'removed'
                       AND e.id > COALESCE(x.id, 0)
                     ORDER BY e.id DESC LIMIT 1) AS removed
              FROM short s
              LEFT JOIN LATERAL (
                   SELECT e.id, e.explain FROM assignment_events e
                    WHERE e.pull_request_id = s.pull_request_id AND e.explain IS NOT NULL
                    ORDER BY e.id DESC LIMIT 1) x ON true
             ORDER BY s.created_at, s.pull_request_id""",
        team,
        host,
        list(hosts),
        limit,
        MAX_REVIEWERS,
    )
    total = rows[0]["total"] if rows else 0
    return [_pr(r) for r in rows], total


_OUTBOX_WHERE = """o.state IN ('pending', 'failed')
    AND ($2::text IS NULL OR o.host = $2)
    AND ($1::text IS NULL OR EXISTS (
        SELECT 1 FROM pull_requests p JOIN users a ON a.user_id = p.author_id
         WHERE p.pull_request_id = o.pull_request_id AND a.team_name = $1))"""


async def outbox(
    conn: Connection, team: str | None, host: str | None, limit: int
) -> tuple[list[OutboxRow], OutboxCounts]:
    """Post-backs not done yet: failed first, then retrying, then pending; and the counts."""
    counts = await conn.fetchrow(
        f"""SELECT count(*) FILTER (WHERE o.state = 'pending' AND o.last_error IS NULL) AS pending,
                   count(*) FILTER (WHERE o.state = 'pending' AND o.last_error IS NOT NULL)
                       AS retrying,
                   count(*) FILTER (WHERE o.state = 'failed') AS failed
              FROM outbox o WHERE {_OUTBOX_WHERE}""",
        team,
        host,
    )
    rows = await conn.fetch(
        f"""SELECT o.id, o.host, o.pull_request_id, o.kind, o.user_id, o.state, o.attempts,
                   o.last_error, o.created_at
              FROM outbox o WHERE {_OUTBOX_WHERE}
             ORDER BY (o.state = 'failed') DESC, (o.last_error IS NOT NULL) DESC, o.id
             LIMIT $3""",
        team,
        host,
        limit,
    )
    entries = [_outbox_row(r) for r in rows]
    return entries, OutboxCounts(**dict(counts)) if counts else OutboxCounts()


def _outbox_row(row: Record) -> OutboxRow:
    found: dict[str, Any] = dict(row)
    found["state"] = outbox_state(found["state"], found["last_error"])
    return OutboxRow(**found)
