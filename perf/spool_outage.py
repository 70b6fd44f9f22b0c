"""Lost webhook deliveries across a PostgreSQL outage, with the spool off and on.

``python -m perf.spool_outage [--outage 30] [--rate 10]``: a private PostgreSQL (pgserver,
under a temporary directory), reviewbot behind a real uvicorn on 127.0.0.1, and a sender of
signed GitHub ``pull_request`` ``opened`` deliveries (one new PR each) at ``--rate`` per
second: ``--around`` seconds before the outage, ``--outage`` seconds with PostgreSQL stopped,
``--around`` seconds after it is started again. Then it waits (bounded) for the spool to
drain and counts, in PostgreSQL, the deliveries applied and the PRs whose two post-backs
are queued in the outbox. A delivery is lost when the host was not told 2xx and it was
not applied (GitHub does not redeliver on its own), or when it was answered 2xx and never
applied. Prints one table and writes it to perf/results/spool_outage.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg
import httpx

from bot.app import create_app
from bot.cli.embedded import stop_postgres
from config.settings import Secret, Settings
from perf.in_process import Serving
from store.db import migrate
from store.spool import Spool

SECRET = "outage-secret"
RESULTS = Path(__file__).resolve().parent / "results" / "spool_outage.md"
OPENED = RESULTS.parents[2] / "tests/webhooks/fixtures/github/pull_request__opened.json"
DRAIN_LIMIT = 60.0  # seconds to wait for the spool after PostgreSQL is back


@dataclass
class Run:
    label: str
    answers: Counter[int] = field(default_factory=Counter)
    queued_ms: list[float] = field(default_factory=list)
    sent: int = 0
    applied: int = 0
    posted_back: int = 0
    drained_after: float | None = None  # seconds after PostgreSQL was back


def _body(number: int) -> bytes:
    """The documented ``opened`` payload of the webhook tests, for PR ``number``."""
    payload = json.loads(OPENED.read_text())
    payload["number"] = payload["pull_request"]["number"] = number
    return json.dumps(payload).encode()


def _headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + digest,
    }


async def _arrange(url: str, client: httpx.AsyncClient) -> None:
    members = [{"user_id": u, "username": u, "is_active": True} for u in ("alice", "bob", "carol")]
    answer = await client.post("/team/add", json={"team_name": "backend", "members": members})
    answer.raise_for_status()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO user_handles (user_id, host, handle)"
            " VALUES ('alice', 'github', 'alice-gh')"
        )
    finally:
        await conn.close()


async def _send(client: httpx.AsyncClient, run: Run, number: int) -> None:
    body = _body(number)
    started = time.perf_counter()
    try:
        answer = await client.post("/webhooks/github", content=body, headers=_headers(body))
    except httpx.HTTPError:
        run.answers[0] += 1  # no answer at all
        return
    run.answers[answer.status_code] += 1
    if answer.status_code == 202 and answer.json().get("status") == "queued":
        run.queued_ms.append((time.perf_counter() - started) * 1000)


async def _phase(client: httpx.AsyncClient, run: Run, seconds: float, rate: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        run.sent += 1
        await _send(client, run, run.sent)
        await asyncio.sleep(1 / rate)


async def measure(label: str, spool_max: int, args: argparse.Namespace, tmp: Path) -> Run:
    from pgserver import get_server  # type: ignore[attr-defined]

    room = tmp / ("on" if spool_max else "off")  # no spaces: pg_ctl's options would split
    pgdata = (room / "postgres").resolve()
    pgdata.parent.mkdir(parents=True)
    server = get_server(pgdata, cleanup_mode=None)
    url = server.get_uri()
    await migrate(url)
    spool = Spool(room / "spool", spool_max)
    settings = Settings(
        database_url=url,
        redis_url="off",
        outbox_worker=False,
        spool_dir=spool.directory,
        spool_max_bytes=spool_max,
    )
    hosts = dict(settings.code_hosts)
    hosts["github"] = replace(hosts["github"], webhook_secret=Secret(SECRET))  # type: ignore[type-var]
    run = Run(label)
    try:
        with Serving(create_app(replace(settings, code_hosts=hosts))) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                await _arrange(url, client)
                await _phase(client, run, args.around, args.rate)
                await asyncio.to_thread(stop_postgres, server, pgdata)
                await _phase(client, run, args.outage, args.rate)
                await asyncio.to_thread(server.ensure_postgres_running)
                back = time.monotonic()
                await _phase(client, run, args.around, args.rate)
                run.drained_after = await _drained(spool, back)
            await _count(url, run)
    finally:
        stop_postgres(server, pgdata)
    return run


async def _drained(spool: Spool, back: float) -> float | None:
    while time.monotonic() < back + DRAIN_LIMIT:
        if not spool.pending():
            return time.monotonic() - back
        await asyncio.sleep(0.05)
    return None


async def _count(url: str, run: Run) -> None:
    conn = await asyncpg.connect(url)
    try:
        run.applied = await conn.fetchval("SELECT count(*) FROM webhook_deliveries")
        run.posted_back = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pull_request_id FROM outbox GROUP BY 1"
            " HAVING count(*) = 2) AS done"
        )
    finally:
        await conn.close()


def _percentile(values: list[float], q: float) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"Outage {args.outage:.0f} s, {args.around:.0f} s before and after, "
        f"{args.rate:g} deliveries/s (`python -m perf.spool_outage`).",
        "",
        "| run | sent | answers | applied | PRs with post-backs queued | lost "
        "| queued answer p50 / p99 ms | spool drained after PostgreSQL back |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        answers = ", ".join(f"{code or 'none'}: {n}" for code, n in sorted(r.answers.items()))
        drained = (
            "—" if not r.queued_ms else f"{r.drained_after:.2f} s" if r.drained_after else "no"
        )
        lines.append(
            f"| {r.label} | {r.sent} | {answers} | {r.applied} | {r.posted_back} "
            f"| {r.sent - r.applied} | {_percentile(r.queued_ms, 0.5)} / "
            f"{_percentile(r.queued_ms, 0.99)} | {drained} |"
        )
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    # asyncpg's pool logs a traceback per failed reconnect while PostgreSQL is down: noise here.
    logging.getLogger("asyncpg.pool").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="spool-outage-") as tmp:
        runs = [
            await measure("spool off (before)", 0, args, Path(tmp)),
            await measure("spool on (after)", 128 << 20, args, Path(tmp)),
        ]
    text = report(runs, args)
    print(text)
    RESULTS.write_text("# Webhook deliveries across a PostgreSQL outage\n\n" + text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=30.0, help="seconds PostgreSQL is down")
    parser.add_argument("--around", type=float, default=5.0, help="seconds before and after")
    parser.add_argument("--rate", type=float, default=10.0, help="deliveries per second")
    asyncio.run(main(parser.parse_args()))
