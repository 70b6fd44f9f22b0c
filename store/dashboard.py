"""Read queries of the team leads' page: everything counted and limited in SQL.

Counts use the same definitions as ``GET /stats`` (``store.stats.IS_ASSIGNMENT`` and
``IS_OPEN_REVIEW``), aggregated with one pass per table instead of a sub-query per user,
so the whole page stays a handful of statements however many members there are.

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

from bot.core.dashboard import MemberRow, OutboxCounts, OutboxRow, PrRow, TeamRow, outbox_state
from store.db import Connection
from store.stats import IS_ASSIGNMENT, IS_OPEN_REVIEW

# The host an id names by its prefix ($hosts: the registry's names), '' for REST API PRs:
# the same rule as bot.hosts.registry.host_prefix.
_HOST_OF = """(CASE WHEN strpos({id}, ':') > 0 AND split_part({id}, ':', 1) = ANY({hosts})
                THEN split_part({id}, ':', 1) ELSE '' END)"""


async def teams(conn: Connection, team: str | None) -> list[TeamRow]:
    rows = await conn.fetch(
        """SELECT team_name, strategy, reviewers FROM teams
            WHERE $1::text IS NULL OR team_name = $1 ORDER BY team_name""",
        team,
    )
    return [TeamRow(**dict(r)) for r in rows]


async def team_names(conn: Connection) -> list[str]:
    rows = await conn.fetch("SELECT team_name FROM teams ORDER BY team_name")
    return [r["team_name"] for r in rows]


async def members(
    conn: Connection, team: str | None, today: date, since_7d: datetime, since_30d: datetime
) -> list[MemberRow]:
    """Every member (of ``team``) with open reviews now and assignments since each date."""
    rows = await conn.fetch(
        f"""WITH open AS (
                SELECT r.user_id, count(*) AS n
                  FROM pr_reviewers r JOIN pull_requests p USING (pull_request_id)
                 WHERE {IS_OPEN_REVIEW} GROUP BY r.user_id),
            assigned AS (
                SELECT e.user_id, count(*) FILTER (WHERE e.at >= $3) AS d7, count(*) AS d30
                  FROM assignment_events e
                 WHERE {IS_ASSIGNMENT} AND e.at >= $4 AND e.user_id IS NOT NULL
                 GROUP BY e.user_id),
            away AS (
                SELECT DISTINCT w.user_id FROM user_away w
                 WHERE (w.first_day IS NULL OR w.first_day <= $2) AND w.last_day >= $2)
            SELECT u.user_id, u.username, u.team_name, u.is_active, u.max_open_reviews,
                   (away.user_id IS NOT NULL) AS away_today,
                   COALESCE(open.n, 0) AS open_reviews,
                   COALESCE(assigned.d7, 0) AS assigned_7d,
                   COALESCE(assigned.d30, 0) AS assigned_30d
              FROM users u
              LEFT JOIN open USING (user_id)
              LEFT JOIN assigned USING (user_id)
              LEFT JOIN away USING (user_id)
             WHERE $1::text IS NULL OR u.team_name = $1
             ORDER BY u.team_name, u.user_id""",
        team,
        today,
        since_7d,
        since_30d,
    )
    return [MemberRow(**dict(r)) for r in rows]


def _open_prs(hosts_param: str) -> str:
    """The open PRs matching the filters ($1 team, $2 host), with their team's wish."""
    host_of = _HOST_OF.format(id="p.pull_request_id", hosts=hosts_param)
    return f"""SELECT p.pull_request_id, p.pull_request_name, p.author_id, a.team_name,
                      p.created_at, t.reviewers AS wanted
                 FROM pull_requests p
                 JOIN users a ON a.user_id = p.author_id
                 JOIN teams t ON t.team_name = a.team_name
                WHERE p.status = 'OPEN' AND ($1::text IS NULL OR a.team_name = $1)
                  AND ($2::text IS NULL OR {host_of} = $2)"""


_REVIEWERS = """ARRAY(SELECT r.user_id FROM pr_reviewers r
                  WHERE r.pull_request_id = s.pull_request_id ORDER BY r.slot) AS reviewers"""


def _pr(row: Record) -> PrRow:
    found = dict(row)
    found.pop("total", None)
    found["reviewers"] = tuple(found["reviewers"])
    raw = found.pop("explain", None)
    return PrRow(**found, explain=json.loads(raw) if raw is not None else None)


async def oldest_open(
    conn: Connection, team: str | None, host: str | None, hosts: Sequence[str], limit: int
) -> tuple[list[PrRow], int]:
    """The ``limit`` oldest open PRs, and how many open PRs match in all."""
    rows = await conn.fetch(
        f"""WITH s AS (SELECT o.*, count(*) OVER () AS total FROM ({_open_prs("$3::text[]")}) o
                        ORDER BY o.created_at, o.pull_request_id LIMIT $4)
            SELECT s.*, {_REVIEWERS} FROM s ORDER BY s.created_at, s.pull_request_id""",
        team,
        host,
        list(hosts),
        limit,
    )
    return [_pr(r) for r in rows], (rows[0]["total"] if rows else 0)


async def understaffed(
    conn: Connection, team: str | None, host: str | None, hosts: Sequence[str], limit: int
) -> tuple[list[PrRow], int]:
    """Open PRs with fewer reviewers than their team wants (oldest first), each with its
    latest explanation record; and how many there are in all."""
    rows = await conn.fetch(
        f"""WITH counted AS (
                SELECT o.*, (SELECT count(*) FROM pr_reviewers r
                              WHERE r.pull_request_id = o.pull_request_id) AS have
                  FROM ({_open_prs("$3::text[]")}) o),
            s AS (SELECT c.pull_request_id, c.pull_request_name, c.author_id, c.team_name,
                         c.created_at, c.wanted, count(*) OVER () AS total
                    FROM counted c WHERE c.have < c.wanted
                   ORDER BY c.created_at, c.pull_request_id LIMIT $4)
            SELECT s.*, {_REVIEWERS},
                   (SELECT e.explain FROM assignment_events e
                     WHERE e.pull_request_id = s.pull_request_id AND e.explain IS NOT NULL
                     ORDER BY e.id DESC LIMIT 1) AS explain
              FROM s ORDER BY s.created_at, s.pull_request_id""",
        team,
        host,
        list(hosts),
        limit,
    )
    return [_pr(r) for r in rows], (rows[0]["total"] if rows else 0)


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
