"""Pull requests and their reviewers.

Concurrency rules (CONTRACT §1, rule 6) rest on two locks taken here:
- the PR row, ``FOR UPDATE``, by every change to a PR's reviewers or status, so two
  reassigns of one PR take turns and a merge cannot slip between a reassign's check and
  its write;
- the chosen reviewers' user rows, ``FOR SHARE``, re-checked as active members of the
  expected team, so a concurrent deactivation or team move either happens before the
  assignment (and the reviewer is rejected) or waits until it is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from asyncpg import Record

from bot.core.models import PrFilter, PrStatus, PullRequest, User
from store.db import Connection

PR_COLUMNS = """p.pull_request_id, p.pull_request_name, p.author_id, p.status, p.created_at,
    p.merged_at, ARRAY(SELECT r.user_id FROM pr_reviewers r
                       WHERE r.pull_request_id = p.pull_request_id ORDER BY r.slot) AS reviewers"""


def pull_request_of(row: Record) -> PullRequest:
    return PullRequest(
        pull_request_id=row["pull_request_id"],
        pull_request_name=row["pull_request_name"],
        author_id=row["author_id"],
        status=PrStatus(row["status"]),
        assigned_reviewers=tuple(row["reviewers"]),
        created_at=row["created_at"],
        merged_at=row["merged_at"],
    )


async def insert_pr(
    conn: Connection, pr_id: str, name: str, author_id: str, at: datetime | None = None
) -> datetime | None:
    """Create an OPEN PR with no reviewers, created ``at`` (None: now); None when the id
    is taken."""
    value: datetime | None = await conn.fetchval(
        """INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id, created_at)
           VALUES ($1, $2, $3, COALESCE($4, now())) ON CONFLICT DO NOTHING RETURNING created_at""",
        pr_id,
        name,
        author_id,
        at,
    )
    return value


async def fetch_pr(conn: Connection, pr_id: str, *, lock: bool = False) -> PullRequest | None:
    """The PR with its reviewers; with ``lock``, after taking the PR's row lock.

    The lock is its own statement on purpose: under READ COMMITTED a statement that waited
    for a row lock still reads other tables (the reviewers) as of its own start, i.e. as
    they were before the transaction it waited for. The next statement sees them committed.
    """
    if lock:
        found = await conn.fetchval(
            "SELECT true FROM pull_requests WHERE pull_request_id = $1 FOR UPDATE", pr_id
        )
        if not found:
            return None
    row = await conn.fetchrow(
        f"SELECT {PR_COLUMNS} FROM pull_requests p WHERE p.pull_request_id = $1", pr_id
    )
    return pull_request_of(row) if row else None


async def add_reviewers(
    conn: Connection, pr_id: str, user_ids: Sequence[str], first_slot: int, source: str = "api"
) -> None:
    """Append reviewers after ``first_slot`` and log each assignment, in one statement."""
    if not user_ids:
        return
    await conn.execute(
        """WITH added AS (
               INSERT INTO pr_reviewers (pull_request_id, user_id, slot)
               SELECT $1, u.user_id, $3 + u.ord - 1
                 FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, ord)
               RETURNING user_id)
           INSERT INTO assignment_events (pull_request_id, kind, user_id, source)
           SELECT $1, 'assigned', user_id, $4 FROM added""",
        pr_id,
        list(user_ids),
        first_slot,
        source,
    )


async def replace_reviewer(
    conn: Connection, pr_id: str, old_id: str, new_id: str, source: str = "api"
) -> None:
    """Put ``new_id`` in ``old_id``'s slot and log the reassignment, in one statement."""
    await conn.execute(
        """WITH replaced AS (
               UPDATE pr_reviewers SET user_id = $3, assigned_at = now()
                WHERE pull_request_id = $1 AND user_id = $2
               RETURNING user_id)
           INSERT INTO assignment_events (pull_request_id, kind, user_id, replaced_user_id, source)
           SELECT $1, 'reassigned', user_id, $2, $4 FROM replaced""",
        pr_id,
        old_id,
        new_id,
        source,
    )


async def merge(conn: Connection, pr_id: str, at: datetime | None = None) -> PullRequest | None:
    """Mark MERGED; repeating keeps the first ``merged_at`` (idempotent).

    The PR is read back by a second statement for the same reason as in ``fetch_pr``: an
    UPDATE that waited for the PR's row lock (a reassign or a bulk deactivation changing
    its reviewers) would still see the reviewers as they were before that change. Once
    merged, the reviewers never change, so the second read is exact.
    """
    merged = await conn.fetchval(
        """UPDATE pull_requests
              SET status = 'MERGED', merged_at = COALESCE(merged_at, $2, now())
            WHERE pull_request_id = $1
        RETURNING true""",
        pr_id,
        at,
    )
    if not merged:
        return None
    return await fetch_pr(conn, pr_id)


async def insert_pr_for_author(
    conn: Connection, pr_id: str, name: str, author_id: str
) -> tuple[str, datetime | None] | None:
    """Create an OPEN PR for an existing author, in one round trip.

    Returns None when the author does not exist, else (author's team, created_at), with
    created_at None when the id is taken. Replaces ``fetch_user`` + ``insert_pr`` on the
    create path (one round trip less; see perf/ in README).
    """
    row = await conn.fetchrow(
        """WITH author AS (SELECT user_id, team_name FROM users WHERE user_id = $3),
                created AS (
                    INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id)
                    SELECT $1, $2, user_id FROM author
                    ON CONFLICT DO NOTHING RETURNING created_at)
           SELECT a.team_name, (SELECT created_at FROM created) AS created_at FROM author a""",
        pr_id,
        name,
        author_id,
    )
    return (row["team_name"], row["created_at"]) if row else None


async def fetch_locked_pr_and_user(
    conn: Connection, pr_id: str, user_id: str
) -> tuple[PullRequest | None, User | None]:
    """The PR (locked first, then read: see ``fetch_pr``) and a user, in two round trips.

    Replaces ``fetch_pr(lock=True)`` + ``fetch_user`` on the reassign path (three).
    """
    if not await conn.fetchval(
        "SELECT true FROM pull_requests WHERE pull_request_id = $1 FOR UPDATE", pr_id
    ):
        return None, None
    row = await conn.fetchrow(
        f"""SELECT {PR_COLUMNS}, u.user_id AS u_id, u.username AS u_name,
                   u.team_name AS u_team, u.is_active AS u_active
              FROM pull_requests p LEFT JOIN users u ON u.user_id = $2
             WHERE p.pull_request_id = $1""",
        pr_id,
        user_id,
    )
    if row is None:
        return None, None
    user = None
    if row["u_id"] is not None:
        user = User(row["u_id"], row["u_name"], row["u_team"], row["u_active"])
    return pull_request_of(row), user


# Pages are keyset pages over (created_at, pull_request_id): the next page starts strictly
# after the last row returned, so rows added meanwhile never shift a page (unlike OFFSET).
async def page_of_prs(
    conn: Connection, where: PrFilter, after: tuple[datetime, str] | None, limit: int
) -> list[PullRequest]:
    """Up to ``limit`` PRs matching ``where``, oldest first, strictly after ``after``."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(
        f"""SELECT {PR_COLUMNS} FROM pull_requests p
             WHERE ($1::text IS NULL OR p.status = $1)
               AND ($2::text IS NULL OR p.author_id IN
                        (SELECT a.user_id FROM users a WHERE a.team_name = $2))
               AND ($3::text IS NULL OR p.pull_request_id IN
                        (SELECT r.pull_request_id FROM pr_reviewers r WHERE r.user_id = $3))
               AND ($4::text IS NULL OR p.author_id = $4)
               AND ($5::timestamptz IS NULL OR (p.created_at, p.pull_request_id) > ($5, $6::text))
             ORDER BY p.created_at, p.pull_request_id
             LIMIT $7""",
        where.status,
        where.team_name,
        where.reviewer_id,
        where.author_id,
        after_at,
        after_id,
        limit,
    )
    return [pull_request_of(r) for r in rows]


# -- one round trip per write (migration 0013) ----------------------------------------------
# Each call is one statement run outside an explicit transaction: the statement's own
# transaction commits with it. The functions write nothing unless the status is 'ok'.


async def create_in_one_trip(
    conn: Connection,
    pr_id: str,
    name: str,
    author_id: str,
    team_name: str | None,
    chosen: Sequence[str],
    today: date,
    explain: str,
) -> Record:
    """(status, team_name, created_at): ok, no_author, stale or exists."""
    row: Record = await conn.fetchrow(
        "SELECT * FROM reviewbot_create_pr($1, $2, $3, $4, $5, $6, $7)",
        pr_id,
        name,
        author_id,
        team_name,
        list(chosen),
        today,
        explain,
    )
    return row


async def reassign_in_one_trip(
    conn: Connection,
    pr_id: str,
    old_id: str,
    team_name: str | None,
    members: tuple[list[str], list[str | None]],
    words: Sequence[int],
    today: date,
) -> Record:
    """The status (see migration 0013), the new reviewer, the random words used, the old
    reviewer's team, and the PR as it was before the change."""
    ids, cached = members
    row: Record = await conn.fetchrow(
        "SELECT * FROM reviewbot_reassign($1, $2, $3, $4, $5, $6, $7)",
        pr_id,
        old_id,
        team_name,
        ids,
        cached,
        list(words),
        today,
    )
    return row


async def merge_in_one_trip(conn: Connection, pr_id: str) -> PullRequest | None:
    """``merge`` as one statement: mark MERGED, then read the PR in a fresh snapshot."""
    row = await conn.fetchrow("SELECT * FROM reviewbot_merge($1)", pr_id)
    return pull_request_of(row) if row else None
