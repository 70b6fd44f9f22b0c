"""Webhook acknowledgement latency and delivery → post-back time, against a fake GitHub.

Runs reviewbot (uvicorn, one worker, in a child process) and a fake GitHub API (uvicorn, in
this process) on 127.0.0.1, with embedded PostgreSQL and Redis (or DATABASE_URL / REDIS_URL),
then sends signed ``pull_request`` ``opened`` deliveries over real HTTP and reports:

- ack: time from sending a delivery to reviewbot's answer (what the host waits for);
- post-back: time from sending a delivery to the fake host receiving the last of its
  reviewer requests (the outbox worker is woken by the commit, it does not poll).

    .venv/bin/python perf/webhook_latency.py [--deliveries 500] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import create_app
from bot.embedded import embedded_servers
from config.settings import Secret, Settings

SECRET = "perf-secret"
FIXTURE = Path(__file__).parent.parent / "tests/webhooks/fixtures/github/pull_request__opened.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fake_github(arrivals: dict[int, list[float]]) -> Starlette:
    async def requested_reviewers(request: Request) -> JSONResponse:
        reviewers = (await request.json())["reviewers"]
        # One arrival per reviewer: the outbox may send both in one call or one by one.
        arrivals[int(request.path_params["number"])].extend([time.monotonic()] * len(reviewers))
        return JSONResponse({}, status_code=201)

    path = "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
    return Starlette(routes=[Route(path, requested_reviewers, methods=["POST"])])


@contextlib.asynccontextmanager
async def serve(app: Starlette, port: int) -> AsyncIterator[None]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # at most 5 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def serve_bot(settings: Settings, port: int) -> None:
    """Child process: reviewbot alone, so the load generator does not steal its CPU."""
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


async def wait_until_up(client: httpx.AsyncClient) -> None:
    for _ in range(500):
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/health")).status_code == 200:
                return
        await asyncio.sleep(0.02)
    raise RuntimeError("reviewbot did not start")


def delivery(number: int) -> tuple[bytes, dict[str, str]]:
    payload: dict[str, Any] = json.loads(FIXTURE.read_text())
    payload["number"] = payload["pull_request"]["number"] = number
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + digest,
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def setup(client: httpx.AsyncClient) -> None:
    members = [{"user_id": f"u{i}", "username": f"u{i}", "is_active": True} for i in range(20)]
    members.append({"user_id": "alice-gh", "username": "alice", "is_active": True})
    response = await client.post("/team/add", json={"team_name": "perf", "members": members})
    response.raise_for_status()


async def run(settings: Settings, deliveries: int, concurrency: int) -> None:
    host_port, bot_port = free_port(), free_port()
    settings = Settings(
        **{
            **settings.__dict__,
            "github_api_url": f"http://127.0.0.1:{host_port}",
            "github_token": Secret("t"),
            "github_webhook_secret": Secret(SECRET),
            "outbox_poll_interval": 1.0,
            "outbox_worker": os.environ.get("PERF_WORKER", "on") == "on",
        }
    )
    bot = multiprocessing.get_context("spawn").Process(target=serve_bot, args=(settings, bot_port))
    bot.start()
    try:
        await measure(settings, host_port, bot_port, deliveries, concurrency)
    finally:
        bot.terminate()
        bot.join()


async def timed_health(client: httpx.AsyncClient) -> list[float]:
    """The same HTTP path with no work behind it: the floor under the ack latency."""
    found = []
    for _ in range(200):
        start = time.monotonic()
        (await client.get("/health")).raise_for_status()
        found.append(time.monotonic() - start)
    return found


async def send_all(
    client: httpx.AsyncClient, deliveries: int, concurrency: int, sent_at: dict[int, float]
) -> tuple[list[float], float]:
    """Send the deliveries from ``concurrency`` senders; (ack latencies, elapsed seconds)."""
    queue = list(range(1, deliveries + 1))
    acks: list[float] = []

    async def sender() -> None:
        while queue:
            number = queue.pop(0)
            body, headers = delivery(number)
            start = time.monotonic()
            sent_at[number] = start
            response = await client.post("/webhooks/github", content=body, headers=headers)
            acks.append(time.monotonic() - start)
            assert response.status_code == 200, response.text

    started = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return acks, time.monotonic() - started


async def measure(
    settings: Settings, host_port: int, bot_port: int, deliveries: int, concurrency: int
) -> None:
    arrivals: dict[int, list[float]] = defaultdict(list)
    sent_at: dict[int, float] = {}
    async with (
        serve(fake_github(arrivals), host_port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{bot_port}") as client,
    ):
        await wait_until_up(client)
        await setup(client)
        baseline = await timed_health(client)
        acks, elapsed = await send_all(client, deliveries, concurrency, sent_at)
        for _ in range(1000 if settings.outbox_worker else 0):  # bounded wait for post-backs
            if all(len(arrivals[n]) >= 2 for n in sent_at):
                break
            await asyncio.sleep(0.01)
    post_backs = [max(arrivals[n]) - sent_at[n] for n in sent_at if len(arrivals[n]) >= 2]
    report(deliveries, concurrency, elapsed, baseline, acks, post_backs)


def report(
    deliveries: int,
    concurrency: int,
    elapsed: float,
    baseline: list[float],
    acks: list[float],
    post_backs: list[float],
) -> None:
    print(f"deliveries={deliveries} concurrency={concurrency} rate={deliveries / elapsed:.0f}/s")
    print(f"GET /health p50={pct(baseline, 0.5):.1f} ms  p99={pct(baseline, 0.99):.1f} ms")
    print(
        f"ack        p50={pct(acks, 0.5):.1f} ms  p99={pct(acks, 0.99):.1f} ms  "
        f"max={max(acks) * 1000:.1f} ms  mean={statistics.mean(acks) * 1000:.1f} ms"
    )
    if post_backs:
        print(
            f"post-back  p50={pct(post_backs, 0.5):.1f} ms  "
            f"p99={pct(post_backs, 0.99):.1f} ms  "
            f"complete={len(post_backs)}/{deliveries}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="reviewbot-perf-"))
    env_db, env_redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    try:
        with embedded_servers(env_db, env_redis, data_dir) as (db_url, redis_url):
            settings = Settings(database_url=db_url, redis_url=redis_url)
            asyncio.run(run(settings, args.deliveries, args.concurrency))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
