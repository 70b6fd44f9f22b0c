"""Review follow-through figures for ``GET /stats`` (issue 15): time to first response
(p50 / p90, wall-clock seconds from request to first response) and SLA breaches, per
reviewer and per team, over requests made in the window."""

from __future__ import annotations

from asyncpg import Record

from bot.core.stats import ResponseFigures, Window
from store.db import Connection

_IN_WINDOW = (
    "(q.requested_at >= $2 OR $2::timestamptz IS NULL)"
    " AND (q.requested_at < $3 OR $3::timestamptz IS NULL)"
)


_FIGURES = f"""count(*) AS requests, count(q.first_responded_at) AS responses,
    percentile_cont(0.5) WITHIN GROUP (
        ORDER BY extract(epoch FROM q.first_responded_at - q.requested_at)) AS p50,
    percentile_cont(0.9) WITHIN GROUP (
        ORDER BY extract(epoch FROM q.first_responded_at - q.requested_at)) AS p90,
    count(q.breached_at) AS breaches, count(q.escalated_at) AS escalations
  FROM review_requests q JOIN users u ON u.user_id = q.user_id
 WHERE ($1::text IS NULL OR u.team_name = $1) AND {_IN_WINDOW}"""


async def by_user(conn: Connection, w: Window) -> dict[str, ResponseFigures]:
    rows = await conn.fetch(f"SELECT u.user_id AS key, {_FIGURES} GROUP BY u.user_id", *w.args())
    return {r["key"]: _figures(r) for r in rows}


async def by_team(conn: Connection, w: Window) -> dict[str, ResponseFigures]:
    rows = await conn.fetch(
        f"SELECT u.team_name AS key, {_FIGURES} GROUP BY u.team_name", *w.args()
    )
    return {r["key"]: _figures(r) for r in rows}


def _figures(row: Record) -> ResponseFigures:
    p50, p90 = row["p50"], row["p90"]
    return ResponseFigures(
        row["requests"],
        row["responses"],
        None if p50 is None else round(float(p50), 3),
        None if p90 is None else round(float(p90), 3),
        row["breaches"],
        row["escalations"],
    )
