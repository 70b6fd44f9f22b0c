"""What reviewbot keeps about GitLab beyond PRs: numeric user ids and usernames seen in
payloads. GitLab names an MR's author only by id, and sets reviewers by id.

The table is ``gitlab_users`` (store/migrations/0003_webhooks.sql).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.hosts.base import HostMemory
from bot.hosts.events import CommentEvent, PrEvent
from store.db import Connection


async def save_users(conn: Connection, pairs: Sequence[tuple[int, str]]) -> None:
    if not pairs:
        return
    # Only new or renamed users are written: an upsert locks its rows even when nothing
    # changes, which would serialize the deliveries that mention the same people.
    known = await conn.fetch(
        "SELECT gitlab_id, username FROM gitlab_users WHERE gitlab_id = ANY($1::bigint[])",
        [p[0] for p in pairs],
    )
    fresh = set(pairs) - {(r["gitlab_id"], r["username"]) for r in known}
    if not fresh:
        return
    await conn.execute(
        """INSERT INTO gitlab_users (gitlab_id, username)
           SELECT * FROM unnest($1::bigint[], $2::text[])
           ON CONFLICT (gitlab_id) DO UPDATE SET username = EXCLUDED.username, seen_at = now()""",
        [p[0] for p in sorted(fresh)],
        [p[1] for p in sorted(fresh)],
    )


async def username(conn: Connection, gitlab_id: int) -> str | None:
    value: str | None = await conn.fetchval(
        "SELECT username FROM gitlab_users WHERE gitlab_id = $1", gitlab_id
    )
    return value


async def user_id(conn: Connection, name: str) -> int | None:
    value: int | None = await conn.fetchval(
        "SELECT gitlab_id FROM gitlab_users WHERE username = $1 ORDER BY seen_at DESC LIMIT 1",
        name,
    )
    return value


class GitLabMemory(HostMemory):
    async def remember(self, conn: Connection, event: PrEvent | CommentEvent) -> None:
        await save_users(conn, event.known_users)

    async def author_handle(self, conn: Connection, event: PrEvent) -> str | None:
        if event.author is None and event.author_numeric_id is not None:
            return await username(conn, event.author_numeric_id)
        return event.author

    async def pr_author_handle(self, conn: Connection, event: CommentEvent) -> str | None:
        if event.pr_author is None and event.pr_author_numeric_id is not None:
            return await username(conn, event.pr_author_numeric_id)
        return event.pr_author
