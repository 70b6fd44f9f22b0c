"""How many due review requests one scheduler pass handles per second (issue 15).

    python -m perf.review_scheduler [--requests 100000] [--members 50]

A private PostgreSQL (``DATABASE_URL`` if set, else pgserver under a temporary directory),
migrated; one team with an SLA (first_response 1h, nudge, escalate_after 30d) whose
members work ``always``; ``--requests`` open host PRs with one reviewer each, so as many
open review requests. Two passes of one ``ReviewScheduler`` are timed:

1. *reschedule*: every request is due for a look but its target is still ahead (requested
   30 minutes ago): the pass decides and writes the next due time — the common case.
2. *nudge*: every request's target has passed (requested two hours ago): the pass records
   the breach and writes a reminder comment to the outbox for each.

Printed, and written to perf/results/review_scheduler.md: rows, seconds, rows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.review_scheduler import ReviewScheduler
from bot.services.teams import TeamDirectory
from perf.in_process import postgres_url
from store.cache import TeamCache
from store.db import Db, migrate

RESULTS = Path(__file__).resolve().parent / "results" / "review_scheduler.md"


async def populate(url: str, requests: int, members: int) -> None:
    # A connection of its own: bulk setup runs longer than the service's statement bound.
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO teams (team_name) VALUES ('perf')")
        await conn.execute(
            """INSERT INTO team_sla (team_name, first_response, nudge, escalate_after)
               VALUES ('perf', 3600, true, 2592000)"""
        )
        await conn.execute(
            """INSERT INTO users (user_id, username, team_name, is_active, work_hours)
               SELECT 'u' || i, 'u' || i, 'perf', true, 'always'
                 FROM generate_series(0, $1) AS i""",
            members,
        )
        await conn.execute(
            """INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id)
               SELECT 'github:acme/widgets#' || i, 'PR ' || i, 'u' || $2::int
                 FROM generate_series(1, $1) AS i""",
            requests,
            members,
        )
        await conn.execute(  # the trigger starts one review request per row
            """INSERT INTO pr_reviewers (pull_request_id, user_id, slot)
               SELECT 'github:acme/widgets#' || i, 'u' || (i % $2::int), 0
                 FROM generate_series(1, $1) AS i""",
            requests,
            members,
        )
        await conn.execute("VACUUM ANALYZE review_requests")
    finally:
        await conn.close()


async def timed_pass(url: str, scheduler: ReviewScheduler, requested_ago: str) -> tuple[int, float]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            f"""UPDATE review_requests SET requested_at = now() - interval '{requested_ago}',
                       due_at = now() - interval '1 second', breached_at = NULL,
                       nudged_at = NULL"""
        )
        await conn.execute("DELETE FROM outbox")
        await conn.execute("VACUUM ANALYZE review_requests")
    finally:
        await conn.close()
    started = time.perf_counter()
    handled = await scheduler.run_pass()
    return handled, time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    with postgres_url("review-scheduler-") as url:
        await migrate(url)
        db = Db(url, pool_size=4)
        await db.connect()
        try:
            await populate(url, args.requests, args.members)
            directory = TeamDirectory(db, TeamCache.from_url("off", 1.0))
            scheduler = ReviewScheduler(
                db,
                Chooser(directory, random.Random(1)),
                ChangeFeed(),
                clock=lambda: datetime.now(UTC),
            )
            lines = [f"# Review scheduler: one pass over {args.requests:,} due requests", ""]
            lines += ["| pass | rows | seconds | rows / s |", "|---|---|---|---|"]
            for name, ago in (("reschedule", "30 minutes"), ("nudge", "2 hours")):
                handled, seconds = await timed_pass(url, scheduler, ago)
                lines.append(f"| {name} | {handled:,} | {seconds:.2f} | {handled / seconds:,.0f} |")
            async with db.connection() as conn:
                nudges = await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'reply'")
            lines += ["", f"Reminders written by the nudge pass: {nudges:,}."]
        finally:
            await db.disconnect()
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=50)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
