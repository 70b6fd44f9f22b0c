"""The database side of reviewer selection: locks, member state, and the explanation.

Two ways in, chosen by ``bot.services.choosing``:
- random choice with no caps in the team: choose from cached data, then one statement
  locks the chosen users (``FOR SHARE``), re-checks them (active, same team, not away, under
  their cap) and leaves the explanation for the assignment events (see migration 0004);
- round robin, least loaded, or any capped member: the team row is locked first
  (``FOR NO KEY UPDATE``, so assignments in that team take turns and read loads and turns
  that no one else is changing), then one statement reads and share-locks the active
  members with their open load, turn and availability; a last statement moves the
  round-robin cursor and leaves the explanation.

The explanation travels in the transaction-local setting ``reviewbot.explain``; a trigger
copies it onto each ``assignment_events`` row of a reviewer it chose.

The API's create and reassign in random teams take neither way when they can: the
functions of migration 0013 (``bot/services/one_trip.py``) apply the same re-check and
write in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from asyncpg import Record

from bot.core.selection import Candidate, Strategy, strategy_named
from store.db import Connection

AWAY_ON = """EXISTS (SELECT 1 FROM user_away a
                      WHERE a.user_id = u.user_id AND a.last_day >= {day}
                        AND (a.first_day IS NULL OR a.first_day <= {day}))"""

# pr_reviewers.pr_open mirrors the PR's status (migration 0004): an index-only count.
OPEN_LOAD = """(SELECT count(*) FROM pr_reviewers r WHERE r.user_id = u.user_id AND r.pr_open)"""


def encode_explain(explain: dict[str, Any]) -> str:
    """An explanation as the JSON text the assignment events store (one encoder for all)."""
    return msgspec.json.encode(explain).decode()


_ASSIGNABLE = f"""u.user_id = ANY($1::text[]) AND u.team_name = $2 AND u.is_active
               AND NOT {AWAY_ON.format(day="$3::date")}
               AND (u.max_open_reviews IS NULL OR {OPEN_LOAD} < u.max_open_reviews)"""


async def lock_available(
    conn: Connection,
    user_ids: Sequence[str],
    team_name: str,
    today: date,
    explain: dict[str, Any],
) -> list[str]:
    """Lock and return those of ``user_ids`` still assignable in ``team_name`` today.

    Also leaves ``explain`` for the assignment events of this transaction.

    When the lock had to wait for a writer of a user row (a team file apply, a
    deactivation), PostgreSQL re-checks that row's own columns but the away periods and
    open loads still come from before that writer committed. Such a row shows up as a
    version newer than the statement's snapshot; the locked rows are then checked again
    in a statement of their own, which sees everything committed. No extra round trip
    when nobody was waited for.
    """
    rows = await conn.fetch(
        f"""WITH e AS (SELECT set_config('reviewbot.explain', $4, true),
                              pg_current_snapshot()::text AS snapshot)
            SELECT u.user_id, u.xmin::text AS version, e.snapshot FROM users u, e
             WHERE {_ASSIGNABLE}
             ORDER BY u.user_id FOR SHARE OF u""",
        list(user_ids),
        team_name,
        today,
        encode_explain(explain),
    )
    locked = [r["user_id"] for r in rows]
    if not any(newer_than_snapshot(int(r["version"]), r["snapshot"]) for r in rows):
        return locked
    rows = await conn.fetch(
        f"SELECT u.user_id FROM users u WHERE {_ASSIGNABLE} ORDER BY u.user_id",
        locked,
        team_name,
        today,
    )
    return [r["user_id"] for r in rows]


def newer_than_snapshot(xid: int, snapshot: str) -> bool:
    """Whether a row version written by (32-bit) ``xid`` is invisible to ``snapshot``.

    ``snapshot`` is ``pg_current_snapshot()`` as text, ``xmin:xmax:xip,…`` in 64-bit ids:
    a transaction at or after ``xmax``, or in progress when the snapshot was taken, is
    invisible. Ids compare modulo 2^32 (PostgreSQL keeps live ones within 2^31); a very
    old frozen id may read as newer, which only costs the re-check.
    """
    _, xmax_text, in_progress = snapshot.split(":")
    wrap = 1 << 32
    if (xid - int(xmax_text)) % wrap < wrap // 2:
        return True
    return any(int(x) % wrap == xid for x in in_progress.split(",") if x)


@dataclass(frozen=True, slots=True)
class TeamRow:
    strategy: Strategy
    cursor: int  # round robin: teams.rr_cursor


async def lock_team(conn: Connection, team_name: str) -> TeamRow | None:
    """Take the team's selection lock until commit; None when the team does not exist.

    ``FOR NO KEY UPDATE``: assignments in the team take turns and read loads and turns
    that no one else is changing. The row's strategy and cursor come along for free.
    """
    row = await conn.fetchrow(
        "SELECT strategy, rr_cursor FROM teams WHERE team_name = $1 FOR NO KEY UPDATE",
        team_name,
    )
    return None if row is None else TeamRow(strategy_named(row["strategy"]), row["rr_cursor"])


async def active_members(
    conn: Connection, team_name: str, today: date, *, with_load: bool
) -> list[Candidate]:
    """Share-lock the team's active members and read their turn, availability and load.

    Run after ``lock_team`` (a separate statement, so this one's snapshot already sees
    everything committed by whoever held the lock before us). The open load is counted
    only when asked for (least loaded, caps): it grows with the number of open reviews.

    ``SKIP LOCKED``: a member whose row someone is changing right now (deactivating,
    moving, editing) is left out of this one choice instead of waited for. Waiting here,
    while holding the team lock, could deadlock with a writer that locked users first and
    then chooses reviewers in the same team (bulk deactivation); skipping is always safe.
    """
    load = OPEN_LOAD if with_load else "NULL::bigint"
    rows = await conn.fetch(
        f"""SELECT u.user_id, u.max_open_reviews, u.rr_turn,
                   {AWAY_ON.format(day="$2::date")} AS away,
                   {load} AS open_reviews
              FROM users u
             WHERE u.team_name = $1 AND u.is_active
             ORDER BY u.user_id FOR SHARE OF u SKIP LOCKED""",
        team_name,
        today,
    )
    return [candidate(r) for r in rows]


def candidate(row: Record) -> Candidate:
    """An active, locked member as read by ``active_members`` (or the batch's ``members``)."""
    return Candidate(
        row["user_id"],
        away=row["away"],
        open_reviews=row["open_reviews"],
        max_open_reviews=row["max_open_reviews"],
        turn=row["rr_turn"],
    )


async def record_choice(
    conn: Connection,
    team_name: str,
    chosen: Sequence[str],
    explain: dict[str, Any],
    *,
    advance_cursor: bool,
) -> None:
    """Leave the explanation; for round robin also stamp the chosen with new turns."""
    if not advance_cursor or not chosen:
        await conn.execute(
            "SELECT set_config('reviewbot.explain', $1, true)", encode_explain(explain)
        )
        return
    await conn.execute(
        """WITH t AS (
               UPDATE teams SET rr_cursor = rr_cursor + cardinality($2::text[])
                WHERE team_name = $1
            RETURNING rr_cursor - cardinality($2::text[]) AS base),
           stamped AS (
               UPDATE users SET rr_turn = t.base + c.ord
                 FROM t, unnest($2::text[]) WITH ORDINALITY AS c(user_id, ord)
                WHERE users.user_id = c.user_id
            RETURNING 1)
           SELECT set_config('reviewbot.explain', $3, true), (SELECT count(*) FROM stamped)""",
        team_name,
        list(chosen),
        encode_explain(explain),
    )


async def explain_of(conn: Connection, pr_id: str) -> list[dict[str, Any]] | None:
    """Every assignment event of a PR, oldest first; None when the PR does not exist."""
    rows = await conn.fetch(
        """SELECT e.id, e.kind, e.user_id, e.replaced_user_id, e.source, e.explain, e.at
             FROM pull_requests p
             LEFT JOIN assignment_events e ON e.pull_request_id = p.pull_request_id
            WHERE p.pull_request_id = $1
            ORDER BY e.id""",
        pr_id,
    )
    if not rows:
        return None
    return [
        {
            "kind": r["kind"],
            "user_id": r["user_id"],
            "replaced_user_id": r["replaced_user_id"],
            "source": r["source"],
            "at": r["at"],
            "explain": json.loads(r["explain"]) if r["explain"] is not None else None,
        }
        for r in rows
        if r["id"] is not None
    ]
