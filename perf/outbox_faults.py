"""The outbox under two faults, measured in real time against a real PostgreSQL (issue 11).

    python -m perf.outbox_faults [--rows N] [--outage SECONDS]

1. **A dead instance's claims.** A second worker process claims every row while its host
   calls hang, and is SIGKILLed; a surviving worker (already polling) sends them. Printed:
   seconds from the kill until the last row is sent.
2. **Drain after a host outage.** The host answers 503 for ``--outage`` seconds while rows
   are queued; printed: seconds from the host answering again until the last row is sent,
   and how many calls the worker made while the host was down.

Uses ``DATABASE_URL`` if set, else an embedded PostgreSQL in a temporary directory. The
fake code host listens on 127.0.0.1. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import httpx

from bot.hosts.base import HostDeps
from bot.hosts.wiring import build_clients
from bot.services.changes import ChangeFeed
from bot.services.outbox import OutboxWorker
from config.settings import Settings
from perf.in_process import postgres_url
from store.db import Db, migrate

BOUND = 120.0  # no wait of this script lasts longer


class FakeHost:
    """A GitHub REST stand-in: ``mode`` is up (201), down (503) or hang (never answers)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0
        self.port = 0

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
                self.calls += 1
                if self.mode == "hang":
                    await asyncio.sleep(BOUND)
                    return
                status = b"201 Created" if self.mode == "up" else b"503 Service Unavailable"
                body = b'{"requested_reviewers": []}'
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()


@contextlib.asynccontextmanager
async def serving(host: FakeHost) -> AsyncIterator[str]:
    server = await asyncio.start_server(host.handle, "127.0.0.1", 0)
    host.port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{host.port}"
    finally:
        server.close()


@contextlib.asynccontextmanager
async def worker(url: str, host_url: str) -> AsyncIterator[OutboxWorker]:
    """A running outbox worker as an instance runs it (poll interval 1 s)."""
    env = {"GITHUB_TOKEN": "perf-token", "GITHUB_API_URL": host_url}
    db = Db(url, pool_size=4)
    await db.connect()
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        clients = build_clients(Settings.from_env(env).code_hosts, HostDeps(http, time.time, db))
        w = OutboxWorker(db, cast(Any, None), ChangeFeed(), clients, poll_interval=1.0)
        task = asyncio.create_task(w.run_forever())
        try:
            yield w
        finally:
            w.stop()
            await asyncio.wait_for(task, 30)
            close = getattr(w, "close", None)  # the worker before issue 11 had none
            if close is not None:
                await close()
            await db.disconnect()


async def seed(db: Db, first: int, rows: int) -> list[str]:
    prs = [f"github:acme/widgets#{n}" for n in range(first, first + rows)]
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO teams VALUES ('perf') ON CONFLICT DO NOTHING")
        await conn.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice', 'a', 'perf', true), ('bob', 'b', 'perf', true) ON CONFLICT DO NOTHING"
        )
        await conn.executemany(
            "INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id) "
            "VALUES ($1, 'perf', 'alice')",
            [(p,) for p in prs],
        )
        await conn.execute(
            "INSERT INTO outbox (host, pull_request_id, kind, user_id) "
            "SELECT 'github', p, 'request', 'bob' FROM unnest($1::text[]) AS p",
            prs,
        )
    return prs


async def until(check: Callable[[], Awaitable[bool]], what: str) -> float:
    start = time.perf_counter()
    while not await check():
        if time.perf_counter() - start > BOUND:
            raise SystemExit(f"gave up waiting for {what} after {BOUND:.0f} s")
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def count(db: Db, prs: list[str], condition: str) -> int:
    async with db.connection() as conn:
        n: int = await conn.fetchval(
            f"SELECT count(*) FROM outbox WHERE pull_request_id = ANY($1::text[]) AND {condition}",
            prs,
        )
        return n


async def dead_instance(url: str, db: Db, rows: int) -> float:
    prs = await seed(db, 1, rows)
    hang, up = FakeHost("hang"), FakeHost("up")
    async with serving(hang) as hang_url, serving(up) as up_url:
        argv = [sys.executable, "-m", "perf.outbox_faults", "--claimer", url, hang_url]
        child = await asyncio.create_subprocess_exec(*argv, cwd=os.getcwd())
        try:
            await until(
                lambda: _all(db, prs, "lease_until IS NOT NULL"), "the doomed worker's claims"
            )
            async with worker(url, up_url):
                await asyncio.sleep(1.5)  # the survivor polls while the claimer lives
                child.send_signal(signal.SIGKILL)
                killed = time.perf_counter()
                sent = await until(lambda: _all(db, prs, "state = 'done'"), "the retake")
        finally:
            if child.returncode is None:
                child.kill()
            await child.wait()
    return sent - killed


async def host_outage(url: str, db: Db, rows: int, outage: float) -> tuple[float, int]:
    host = FakeHost("down")
    async with serving(host) as host_url, worker(url, host_url):
        start = time.perf_counter()
        prs = await seed(db, 10_000, rows)
        await asyncio.sleep(max(0.0, outage - (time.perf_counter() - start)))
        calls, host.mode = host.calls, "up"
        back = time.perf_counter()
        drained = await until(lambda: _all(db, prs, "state = 'done'"), "the drain")
    return drained - back, calls


async def _all(db: Db, prs: list[str], condition: str) -> bool:
    return await count(db, prs, condition) == len(prs)


async def claimer(url: str, host_url: str) -> None:
    """The doomed instance: claims what it can and hangs on the host until killed."""
    async with worker(url, host_url):
        await asyncio.sleep(BOUND)


async def measure(url: str, rows: int, outage: float) -> None:
    await migrate(url)
    db = Db(url, pool_size=2)
    await db.connect()
    try:
        retaken = await dead_instance(url, db, min(rows, 20))  # one claim round takes 20 PRs
        print(f"dead instance: {min(rows, 20)} rows retaken and sent {retaken:.2f} s after kill")
        drain, calls = await host_outage(url, db, rows, outage)
        print(
            f"host outage {outage:.0f} s: {rows} rows drained {drain:.2f} s after the host "
            f"was back; {calls} host calls during the outage"
        )
    finally:
        await db.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument("--claimer", nargs=2, metavar=("DATABASE_URL", "HOST_URL"))
    args = parser.parse_args()
    if args.claimer:
        asyncio.run(claimer(*args.claimer))
        return
    with postgres_url("outbox-faults-") as url:
        asyncio.run(measure(url, args.rows, args.outage))


if __name__ == "__main__":
    main()
