"""Comment deliveries while PostgreSQL is down: spooled like PR events, applied once and
in order (after the PR event they follow) when it is back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import httpx

from store.spool import Spool
from tests.webhooks.conftest import SECRETS, load, signed_headers
from tests.webhooks.test_spool_outage import Postgres, bot, opened, postgres, send, wait_drained

__all__ = ["postgres"]  # the fixture, imported for pytest


async def send_comment(client: httpx.AsyncClient, text: str, delivery: str) -> httpx.Response:
    payload = load("github", "issue_comment__created")
    payload["issue"]["number"] = 1
    payload["comment"].update(body=text, id=424242)
    payload["comment"]["user"]["login"] = "alice-gh"
    body = json.dumps(payload).encode()
    headers = signed_headers("github", "issue_comment", body, delivery, SECRETS["github"])
    return await client.post("/webhooks/github", content=body, headers=headers)


async def test_comments_during_an_outage_are_applied_once_after_their_pr(
    postgres: Postgres, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 30)
    async with bot(postgres, spool.directory) as client:
        await asyncio.to_thread(postgres.stop)
        answers = [
            await send(client, opened(1), "open-1"),
            await send_comment(client, "@reviewbot explain", "comment-1"),
            await send_comment(client, "@reviewbot explain", "comment-1"),  # redelivered
        ]
        assert [a.json()["status"] for a in answers] == ["queued"] * 3
        await asyncio.to_thread(postgres.start)
        await wait_drained(spool)
        conn = await asyncpg.connect(postgres.url)
        try:
            kinds = await conn.fetch("SELECT kind, payload FROM outbox ORDER BY id")
        finally:
            await conn.close()
    assert [r["kind"] for r in kinds] == ["request", "request", "react", "reply"]
    assert json.loads(kinds[2]["payload"]) == {"comment_id": 424242, "reaction": "ok"}
    assert "Why the current reviewers were chosen" in json.loads(kinds[3]["payload"])["text"]
