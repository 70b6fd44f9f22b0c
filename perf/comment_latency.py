"""Comment → reaction latency of comment commands (issue 13), against a fake GitHub.

    python -m perf.comment_latency [--count 200] [--rate 20] [--command "@reviewbot explain"]

A private PostgreSQL (``DATABASE_URL`` if set, else pgserver under a temporary directory),
reviewbot behind a real uvicorn on 127.0.0.1 with its outbox worker running, and a fake
GitHub REST API on 127.0.0.1 that answers every call at once and notes when each
comment's reaction arrives. One PR is opened by a signed ``pull_request`` delivery, then
``--count`` signed ``issue_comment`` deliveries (each a new comment holding ``--command``)
are sent at ``--rate`` per second. Printed: the webhook's answer time (ack) and the time
from sending a comment until the fake host received its reaction, p50 / p99 / max. Every
wait is bounded (``BOUND`` seconds). The figures are also written to
perf/results/comment_latency.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bot.app import create_app
from config.settings import Secret, Settings
from perf.in_process import Serving, postgres_url
from store.db import migrate

SECRET = "comment-latency-secret"
FIXTURES = Path(__file__).resolve().parents[1] / "tests/webhooks/fixtures/github"
BOUND = 120.0
RESULTS = Path(__file__).resolve().parent / "results" / "comment_latency.md"
_REACTION = re.compile(rb"^POST /repos/acme/widgets/issues/comments/(\d+)/reactions ")


class FakeGitHub:
    """Answers 201 to everything; records when each comment's reaction arrived."""

    def __init__(self) -> None:
        self.reacted: dict[int, float] = {}
        self.arrived = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError
        ):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                found = _REACTION.match(head)
                if found:
                    self.reacted[int(found.group(1))] = time.perf_counter()
                    self.arrived.set()
                body = b'{"id": 1}'
                writer.write(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()


@contextlib.asynccontextmanager
async def fake_github(host: FakeGitHub) -> AsyncIterator[str]:
    server = await asyncio.start_server(host.handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def signed(event: str, payload: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + digest,
    }


def comment_payload(comment_id: int, text: str) -> dict[str, object]:
    payload: dict[str, Any] = json.loads((FIXTURES / "issue_comment__created.json").read_text())
    payload["comment"].update(id=comment_id, body=text)
    payload["comment"]["user"]["login"] = "alice-gh"
    return payload


async def arrange(url: str, client: httpx.AsyncClient) -> None:
    members = [{"user_id": u, "username": u, "is_active": True} for u in ("alice", "bob", "carol")]
    (
        await client.post("/team/add", json={"team_name": "backend", "members": members})
    ).raise_for_status()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO user_handles (user_id, host, handle)"
            " VALUES ('alice', 'github', 'alice-gh')"
        )
    finally:
        await conn.close()
    opened = json.loads((FIXTURES / "pull_request__opened.json").read_text())
    body, headers = signed("pull_request", opened)
    (await client.post("/webhooks/github", content=body, headers=headers)).raise_for_status()


async def send_comments(
    client: httpx.AsyncClient, args: argparse.Namespace
) -> tuple[dict[int, float], list[float]]:
    sent: dict[int, float] = {}
    acks: list[float] = []
    for n in range(args.count):
        comment_id = 700000 + n
        body, headers = signed("issue_comment", comment_payload(comment_id, args.command))
        start = time.perf_counter()
        answer = await client.post("/webhooks/github", content=body, headers=headers)
        acks.append(time.perf_counter() - start)
        answer.raise_for_status()
        sent[comment_id] = start
        await asyncio.sleep(max(0.0, 1 / args.rate - acks[-1]))
    return sent, acks


async def wait_for(host: FakeGitHub, sent: dict[int, float]) -> None:
    deadline = time.monotonic() + BOUND
    while not set(sent) <= set(host.reacted):
        if time.monotonic() > deadline:
            missing = len(set(sent) - set(host.reacted))
            raise SystemExit(f"{missing} reactions never arrived within {BOUND:.0f} s")
        host.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(host.arrived.wait(), 1)


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"p50 {at(0.5):.1f} ms / p99 {at(0.99):.1f} ms / max {ordered[-1] * 1000:.1f} ms"


async def main(args: argparse.Namespace) -> None:
    host = FakeGitHub()
    with postgres_url("comment-latency-") as url:
        await migrate(url)
        async with fake_github(host) as api:
            settings = Settings(database_url=url, redis_url="off", outbox_poll_interval=1.0)
            hosts = dict(settings.code_hosts)
            hosts["github"] = replace(  # type: ignore[type-var]
                hosts["github"],
                api_url=api,
                token=Secret("perf-token"),
                webhook_secret=Secret(SECRET),
            )
            with Serving(create_app(replace(settings, code_hosts=hosts))) as base:
                async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                    await arrange(url, client)
                    sent, acks = await send_comments(client, args)
                    await wait_for(host, sent)
    latencies = [host.reacted[c] - t for c, t in sent.items()]
    text = "\n".join(
        [
            f"{args.count} comments '{args.command}' at {args.rate:g}/s, fake GitHub on 127.0.0.1",
            f"ack (webhook answered):   {percentiles(acks)}",
            f"comment → reaction:       {percentiles(latencies)}",
        ]
    )
    print(text)
    RESULTS.write_text(f"# Comment → reaction latency\n\n```text\n{text}\n```\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="comments to send (≤ 2000)")
    parser.add_argument("--rate", type=float, default=20.0, help="comments per second")
    parser.add_argument("--command", default="@reviewbot explain", help="the comment's text")
    parsed = parser.parse_args()
    parsed.count = max(1, min(parsed.count, 2000))
    asyncio.run(main(parsed))
