"""Time bulk deactivation server-side: a 200-member team, 100 deactivated at once.

    .venv/bin/python perf/bulk_deactivate.py [--runs 10] [--open-prs 400]

Uses DATABASE_URL / REDIS_URL when set, otherwise embedded servers in a temporary
directory. Every run reseeds the same data (seeded RNG): 20 teams, the measured one with
200 active members, ``--open-prs`` open PRs in it with two reviewers each plus merged
ones; then deactivates 100 members in one call. "server" is the use case alone
(``bot.services.deactivation.deactivate``: the transaction, the replacements, the cache
invalidation); "http" is the same call through the ASGI app in-process (routing, JSON,
middleware), on a fresh seed each time. Results go to stdout as a small table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

import asyncpg
import httpx

from bot.app import create_app
from config.settings import Settings
from perf.in_process import migrated_servers
from store.cache import TeamCache

TEAM = "big"
MEMBERS = [f"m{i:03d}" for i in range(200)]
OTHER_TEAMS = 19
OTHER_MEMBERS = 10


async def seed(url: str, open_prs: int, merged_prs: int, rng: random.Random) -> None:
    conn = await asyncpg.connect(url)
    try:
        tables = "assignment_events, pr_reviewers, pull_requests, user_handles, users, teams"
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        teams = [TEAM] + [f"team-{t:02d}" for t in range(OTHER_TEAMS)]
        await conn.execute("INSERT INTO teams (team_name) SELECT unnest($1::text[])", teams)
        users = [(m, TEAM) for m in MEMBERS] + [
            (f"{t}-u{i}", t) for t in teams[1:] for i in range(OTHER_MEMBERS)
        ]
        await conn.execute(
            """INSERT INTO users (user_id, username, team_name, is_active)
               SELECT u, u, t, true FROM unnest($1::text[], $2::text[]) AS x(u, t)""",
            [u for u, _ in users],
            [t for _, t in users],
        )
        prs, reviews = [], []
        for n in range(open_prs + merged_prs):
            author = rng.choice(MEMBERS)
            pr_id = f"pr-{n:05d}"
            prs.append((pr_id, author, n >= open_prs))
            picked = rng.sample([m for m in MEMBERS if m != author], 2)
            reviews += [(pr_id, r, slot) for slot, r in enumerate(picked)]
        await conn.execute(
            """INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id,
                                          status, merged_at)
               SELECT p, p, a, CASE WHEN m THEN 'MERGED' ELSE 'OPEN' END,
                      CASE WHEN m THEN now() END
                 FROM unnest($1::text[], $2::text[], $3::boolean[]) AS x(p, a, m)""",
            [p for p, _, _ in prs],
            [a for _, a, _ in prs],
            [m for _, _, m in prs],
        )
        await conn.execute(
            """INSERT INTO pr_reviewers (pull_request_id, user_id, slot)
               SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[])""",
            [p for p, _, _ in reviews],
            [r for _, r, _ in reviews],
            [s for _, _, s in reviews],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return (
        f"| {name} | {len(ms)} | {ms[0]:.1f} | {statistics.median(ms):.1f} | {p90:.1f} |"
        f" {ms[-1]:.1f} |"
    )


async def round_trip_ms(db_url: str) -> float:
    """The median of one trivial query to the same server: the unit that scales the rest."""
    samples = []
    conn = await asyncpg.connect(db_url)
    try:
        for _ in range(300):
            start = time.perf_counter()
            await conn.fetchval("SELECT 1")
            samples.append(time.perf_counter() - start)
    finally:
        await conn.close()
    return statistics.median(samples) * 1000


async def measure(db_url: str, redis_url: str, runs: int, open_prs: int) -> None:
    rng = random.Random(2024)
    app = create_app(Settings(database_url=db_url, redis_url=redis_url, selection_seed=1))
    server: list[float] = []
    http: list[float] = []
    affected: list[int] = []
    touched: list[int] = []
    async with app.router.lifespan_context(app):
        services = app.state.services
        cache = TeamCache.from_url(redis_url, 1.0)
        rtt = await round_trip_ms(db_url)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://perf") as client:
            for run in range(runs * 2 + 1):
                await seed(db_url, open_prs, open_prs // 2, rng)
                await cache.invalidate({TEAM})  # seeded behind the cache's back
                await services.teams.get(TEAM)  # steady state: the team is cached
                leaving = sorted(rng.sample(MEMBERS, 100))
                start = time.perf_counter()
                if run % 2 == 0:
                    result = await services.deactivations.deactivate(TEAM, leaving)
                    moves = len(result.moves)
                    touched.append(len({m.pull_request_id for m in result.moves}))
                else:
                    body = {"team_name": TEAM, "user_ids": leaving}
                    response = await client.post("/team/deactivate", json=body)
                    assert response.status_code == 200, response.text
                    moves = len(response.json()["reassignments"])
                elapsed = time.perf_counter() - start
                if run == 0:
                    continue  # warm-up: connections, prepared statements
                (server if run % 2 == 0 else http).append(elapsed)
                affected.append(moves)
        await cache.close()
    print(f"team of {len(MEMBERS)}, 100 deactivated, {open_prs} open PRs in the team;")
    print(f"reviews moved per run: {min(affected)}-{max(affected)}, open PRs changed per run:")
    print(f"{min(touched)}-{max(touched)}; cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f};")
    print(f"one SELECT 1 round trip on the pool: median {rtt:.3f} ms")
    print("| path | runs | min ms | median ms | p90 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(summary("server (use case)", server))
    print(summary("http (in-process ASGI)", http))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--open-prs", type=int, default=400)
    args = parser.parse_args()
    with migrated_servers("reviewbot-perf-") as (db_url, redis_url):
        asyncio.run(measure(db_url, redis_url, args.runs, args.open_prs))


if __name__ == "__main__":
    main()
