"""What reviewbot keeps about GitHub beyond PRs: the App installation of each repository,
seen in deliveries' ``installation.id`` and needed to mint installation tokens.

The table is ``github_installations`` (store/migrations/0003_webhooks.sql).
"""

from __future__ import annotations

from bot.hosts.base import HostMemory
from bot.hosts.events import CommentEvent, PrEvent
from store.db import Connection


async def save_installation(conn: Connection, repo: str, installation_id: int) -> None:
    # Read first: ON CONFLICT DO UPDATE locks the row even when nothing changes, which
    # would serialize every delivery of a repository behind the previous one's commit.
    if await installation_for(conn, repo) == installation_id:
        return
    await conn.execute(
        """INSERT INTO github_installations (repo, installation_id) VALUES ($1, $2)
           ON CONFLICT (repo) DO UPDATE
              SET installation_id = EXCLUDED.installation_id, seen_at = now()""",
        repo,
        installation_id,
    )


async def installation_for(conn: Connection, repo: str) -> int | None:
    value: int | None = await conn.fetchval(
        "SELECT installation_id FROM github_installations WHERE repo = $1", repo
    )
    return value


class GitHubMemory(HostMemory):
    def __init__(self) -> None:
        # Installations this process already saved: saves a query on every delivery.
        self._installations: dict[str, int] = {}

    async def remember(self, conn: Connection, event: PrEvent | CommentEvent) -> None:
        repo, installation = event.ref.repo, event.installation_id
        if installation is not None and self._installations.get(repo) != installation:
            await save_installation(conn, repo, installation)

    def committed(self, event: PrEvent | CommentEvent) -> None:
        if event.installation_id is not None:  # committed: no need to write it again
            self._installations[event.ref.repo] = event.installation_id
