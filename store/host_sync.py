"""What webhooks need from the store beyond the core: members by host handle, reviewer
removal and status changes mirrored from a host, delivery dedupe. (What one host alone
keeps, such as app installations, is in its folder: bot/hosts/<host>/store.py.)"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import User
from store.db import Connection
from store.routing import ROUTING_ON
from store.users import user_of


async def record_delivery(conn: Connection, host: str, delivery_id: str) -> bool:
    """Claim the delivery; False when it was already applied (waits for a concurrent twin)."""
    row = await conn.fetchrow(
        """INSERT INTO webhook_deliveries (host, delivery_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING delivery_id""",
        host,
        delivery_id,
    )
    return row is not None


async def claim_pr_delivery(conn: Connection, host: str, delivery_id: str) -> tuple[bool, bool]:
    """``record_delivery`` for a PR event, with whether path rules or CODEOWNERS are on
    read in the same round trip: (claimed, routed)."""
    row = await conn.fetchrow(
        f"""WITH claimed AS (
                INSERT INTO webhook_deliveries (host, delivery_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING RETURNING delivery_id)
            SELECT EXISTS (SELECT FROM claimed) AS claimed, {ROUTING_ON} AS routed""",
        host,
        delivery_id,
    )
    assert row is not None
    return bool(row["claimed"]), bool(row["routed"])


async def forget_delivery(conn: Connection, host: str, delivery_id: str) -> None:
    await conn.execute(
        "DELETE FROM webhook_deliveries WHERE host = $1 AND delivery_id = $2", host, delivery_id
    )


async def member_by_handle(conn: Connection, host: str, handle: str) -> User | None:
    """The member with this handle on ``host``; a member without a handle there goes by user_id."""
    row = await conn.fetchrow(
        """SELECT u.user_id, u.username, u.team_name, u.is_active
             FROM users u
             LEFT JOIN user_handles h ON h.user_id = u.user_id AND h.host = $1
            WHERE h.handle = $2 OR (h.handle IS NULL AND u.user_id = $2)
            ORDER BY (h.handle IS NOT NULL) DESC
            LIMIT 1""",
        host,
        handle,
    )
    return user_of(row) if row else None


async def lock_active(conn: Connection, user_ids: Sequence[str]) -> set[str]:
    """Share-lock the users, all at once and in id order; those that are active.

    In id order like every other writer of user rows (team/add, team files, bulk
    deactivation): locking them one by one in the host's order could deadlock with those.
    """
    rows = await conn.fetch(
        """SELECT user_id FROM users WHERE user_id = ANY($1::text[]) AND is_active
            ORDER BY user_id FOR SHARE""",
        sorted(set(user_ids)),
    )
    return {r["user_id"] for r in rows}


async def next_slot(conn: Connection, pr_id: str) -> int:
    value: int = await conn.fetchval(
        "SELECT COALESCE(max(slot) + 1, 0) FROM pr_reviewers WHERE pull_request_id = $1", pr_id
    )
    return value


async def remove_reviewer(conn: Connection, pr_id: str, user_id: str, source: str) -> bool:
    """Take the reviewer off the PR and log it; False when they were not on it."""
    row = await conn.fetchrow(
        """WITH gone AS (
               DELETE FROM pr_reviewers WHERE pull_request_id = $1 AND user_id = $2
               RETURNING user_id)
           INSERT INTO assignment_events (pull_request_id, kind, replaced_user_id, source)
           SELECT $1, 'removed', user_id, $3 FROM gone
           RETURNING id""",
        pr_id,
        user_id,
        source,
    )
    return row is not None


async def set_open_status(conn: Connection, pr_id: str, status: str) -> None:
    """OPEN ↔ CLOSED for an unmerged PR; merged PRs never change."""
    await conn.execute(
        "UPDATE pull_requests SET status = $2 WHERE pull_request_id = $1 AND status <> 'MERGED'",
        pr_id,
        status,
    )


async def rename(conn: Connection, pr_id: str, name: str) -> None:
    await conn.execute(
        "UPDATE pull_requests SET pull_request_name = $2 WHERE pull_request_id = $1", pr_id, name
    )
