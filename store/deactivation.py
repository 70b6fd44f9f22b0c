"""Locks and writes of bulk deactivation, run in one transaction by its use case.

Lock order, the same as every other writer: pull request rows first (``FOR UPDATE``,
ordered by id), then user rows (ordered by id). Create and reassign take the PR row and
then ``FOR SHARE`` on their chosen reviewers, so taking users first here could deadlock.
The batch choice then takes the team row and share-locks the team's active members
(``store.batch_selection``, skipping rows others hold), and ``apply_moves`` writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

from bot.core.deactivation import Move, OpenReview
from store.db import Connection

SOURCE = "deactivation"


async def set_lock_timeout(conn: Connection, milliseconds: int) -> None:
    """Wait at most this long for any row lock in this transaction (then it is retried)."""
    await conn.execute(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'")


async def team_member_ids(conn: Connection, team_name: str) -> list[str] | None:
    """Every member of the team (active or not); None when the team does not exist."""
    rows = await conn.fetch(
        """SELECT u.user_id FROM teams t LEFT JOIN users u ON u.team_name = t.team_name
            WHERE t.team_name = $1 ORDER BY u.user_id""",
        team_name,
    )
    if not rows:
        return None
    return [r["user_id"] for r in rows if r["user_id"] is not None]


async def lock_open_prs_reviewed_by(conn: Connection, user_ids: Sequence[str]) -> dict[str, str]:
    """Lock, in id order, every open PR that one of ``user_ids`` reviews; id -> author."""
    rows = await conn.fetch(
        """SELECT p.pull_request_id, p.author_id FROM pull_requests p
            WHERE p.status = 'OPEN'
              AND p.pull_request_id IN (SELECT r.pull_request_id FROM pr_reviewers r
                                          JOIN unnest($1::text[]) AS t(user_id) USING (user_id))
            ORDER BY p.pull_request_id FOR UPDATE OF p""",
        list(user_ids),
    )
    return {r["pull_request_id"]: r["author_id"] for r in rows}


async def deactivate_members(
    conn: Connection, team_name: str, user_ids: Sequence[str]
) -> list[str]:
    """Lock (in id order) and deactivate those of ``user_ids`` that are members of the team.

    ``FOR NO KEY UPDATE``, like the UPDATE itself: it blocks choosers (``FOR SHARE``) and
    other writers of these rows, but not the foreign-key checks of concurrent inserts that
    merely reference them (e.g. a reassign logging one of them as replaced), which would
    otherwise wait on us while holding a PR lock we need next.
    """
    rows = await conn.fetch(
        """WITH locked AS (
               SELECT user_id FROM users JOIN unnest($2::text[]) AS t(user_id) USING (user_id)
                WHERE team_name = $1
                ORDER BY user_id FOR NO KEY UPDATE OF users)
           UPDATE users u SET is_active = false, updated_at = now()
             FROM locked WHERE u.user_id = locked.user_id
           RETURNING u.user_id""",
        team_name,
        list(user_ids),
    )
    return sorted(r["user_id"] for r in rows)


async def open_reviews(
    conn: Connection, authors: Mapping[str, str], user_ids: Set[str]
) -> list[OpenReview]:
    """Those of the locked PRs (id -> author) that ``user_ids`` review, with all their
    reviewers in slot order, by PR id.

    Call only once those PRs are locked: the answer is then stable until commit (a
    statement of its own, so that its snapshot sees whatever committed before the locks).
    """
    rows = await conn.fetch(
        """SELECT r.pull_request_id, r.user_id FROM pr_reviewers r
             JOIN unnest($1::text[]) AS t(pull_request_id) USING (pull_request_id)
            ORDER BY r.pull_request_id, r.slot""",
        list(authors),
    )
    reviewers: dict[str, list[str]] = {}
    for r in rows:
        reviewers.setdefault(r["pull_request_id"], []).append(r["user_id"])
    return [
        OpenReview(pr_id, authors[pr_id], tuple(ids))
        for pr_id, ids in reviewers.items()
        if not user_ids.isdisjoint(ids)
    ]


async def apply_moves(conn: Connection, moves: Sequence[Move], explains: Sequence[str]) -> None:
    """Replace or remove every moved reviewer and log each change, in one statement.

    ``explains`` (JSON text, one per move) go onto the events as they are; the events
    keep the order of ``moves``. Keyed by (PR, reviewer): the primary key of pr_reviewers.
    """
    if not moves:
        return
    await conn.execute(
        """WITH c AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                                WITH ORDINALITY AS c(pr_id, old_id, new_id, explain, ord)),
                replaced AS (
               UPDATE pr_reviewers r SET user_id = c.new_id, assigned_at = now()
                 FROM c
                WHERE r.pull_request_id = c.pr_id AND r.user_id = c.old_id
                  AND c.new_id IS NOT NULL
               RETURNING c.*),
                removed AS (
               DELETE FROM pr_reviewers r USING c
                WHERE r.pull_request_id = c.pr_id AND r.user_id = c.old_id AND c.new_id IS NULL
               RETURNING c.*)
           INSERT INTO assignment_events
                  (pull_request_id, kind, user_id, replaced_user_id, source, explain)
           SELECT pr_id, CASE WHEN new_id IS NULL THEN 'removed' ELSE 'reassigned' END,
                  new_id, old_id, $5, explain::jsonb
             FROM (SELECT * FROM replaced UNION ALL SELECT * FROM removed) m
            ORDER BY ord""",
        [m.pull_request_id for m in moves],
        [m.old_reviewer for m in moves],
        [m.new_reviewer for m in moves],
        list(explains),
        SOURCE,
    )
