"""Time the replay simulator: 100,000 stored PRs over 20 teams x 200 members.

    .venv/bin/python -m perf.replay [--prs 100000] [--runs 3]

Uses DATABASE_URL when set, otherwise an embedded PostgreSQL in a temporary directory.
Seeds (seeded RNG) 20 teams of 200 members, ``--prs`` PRs over 90 days with two real
reviewers each (assignment events, most merged within days) and changed files on a
tenth of them; then replays them all against a candidate file that mixes the three
strategies, caps, away periods and two path rules. The seed and each replay run in their
own process, so the replay's peak RSS is its own (the seeding's lists are not in it).
Prints a table and writes perf/results/replay.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TEAMS = 20
MEMBERS = 200
START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 90
STRATEGIES = ("least_loaded", "round_robin", "random")
RESULTS = Path(__file__).parent / "results" / "replay.md"


def team_file(t: int) -> str:
    """One team per file (a team file is at most 128 KiB); the rules live in the first."""
    lines = ["teams:", f"  - name: t{t:02d}", f"    strategy: {STRATEGIES[t % 3]}", "    members:"]
    for m in range(MEMBERS):
        extra = ", max_open_reviews: 6" if m % 4 == 0 else ""
        extra += ", away: [{from: 2026-02-01, to: 2026-02-14}]" if m % 10 == 0 else ""
        lines.append(f"      - {{id: t{t:02d}m{m:03d}, name: M{m}{extra}}}")
    if t == 0:
        lines += [
            "rules:",
            "  - {name: db, paths: ['migrations/**'], team: t00}",
            "  - {name: docs, paths: ['**/*.md'], members: [t01m000, t01m001, t01m002]}",
        ]
    return "\n".join(lines) + "\n"


async def seed(url: str, prs: int) -> None:
    import asyncpg

    rng = random.Random(17)
    conn = await asyncpg.connect(url)
    try:
        tables = "assignment_events, pr_reviewers, pr_routing, pull_requests, users, teams"
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        teams = [f"t{t:02d}" for t in range(TEAMS)]
        await conn.copy_records_to_table(
            "teams", records=[(t,) for t in teams], columns=["team_name"]
        )
        users = [(f"{t}m{m:03d}", f"M{m}", t, True) for t in teams for m in range(MEMBERS)]
        await conn.copy_records_to_table(
            "users", records=users, columns=["user_id", "username", "team_name", "is_active"]
        )
        rows, events, routing = [], [], []
        span = DAYS * 86400
        for n in range(prs):
            team = rng.choice(teams)
            author = f"{team}m{rng.randrange(MEMBERS):03d}"
            created = START + timedelta(seconds=span * n / prs)
            merged = created + timedelta(hours=rng.uniform(1, 120))
            is_merged = merged < START + timedelta(days=DAYS)
            pr_id = f"pr-{n:06d}"
            rows.append(
                (
                    pr_id,
                    pr_id,
                    author,
                    "MERGED" if is_merged else "OPEN",
                    created,
                    merged if is_merged else None,
                )
            )
            for r in rng.sample(range(MEMBERS), 3)[:2]:
                reviewer = f"{team}m{r:03d}"
                if reviewer != author:
                    events.append((pr_id, "assigned", reviewer, "webhook", created))
            if n % 10 == 0:
                files = ["migrations/0001.sql"] if n % 20 == 0 else ["docs/a.md", "src/x.py"]
                routing.append((pr_id, len(files), files))
        await conn.copy_records_to_table(
            "pull_requests",
            records=rows,
            columns=[
                "pull_request_id",
                "pull_request_name",
                "author_id",
                "status",
                "created_at",
                "merged_at",
            ],
        )
        await conn.copy_records_to_table(
            "assignment_events",
            records=events,
            columns=["pull_request_id", "kind", "user_id", "source", "at"],
        )
        await conn.copy_records_to_table(
            "pr_routing", records=routing, columns=["pull_request_id", "files", "changed_files"]
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def replay(url: str, files: list[str]) -> dict[str, float]:
    from bot.core.replay.history import Window
    from bot.services.simulate import Simulator
    from config.team_parse import parse_config_files
    from store.db import Db

    config = parse_config_files(files)
    db = Db(url, pool_size=1)
    await db.connect()
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load = os.getloadavg()[0]  # the machine is shared: how busy it was at the start
        started, cpu_started = time.perf_counter(), time.process_time()
        window = Window(START, START + timedelta(days=DAYS))
        if os.environ.get("REPLAY_PROFILE"):  # where the time goes, on stderr
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            report = await Simulator(db).run(config, files, window, seed=1)
            profile.disable()
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(20)
        else:
            report = await Simulator(db).run(config, files, window, seed=1)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await db.disconnect()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "prs": report["prs"],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load": load,
        "peak_rss_mb": rss / 1024,
        "rss_before_mb": rss_before / 1024,
    }


def _child(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent  # -m perf.replay: the checkout's root
    done = subprocess.run(
        [sys.executable, "-m", "perf.replay", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
        cwd=root,
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phase", choices=("seed", "replay"), help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "seed":
        asyncio.run(seed(os.environ["DATABASE_URL"], args.prs))
        return
    if args.phase == "replay":
        print(json.dumps(asyncio.run(replay(os.environ["DATABASE_URL"], args.files))))
        return
    from bot.cli.embedded import embedded_servers
    from store.db import migrate

    with (
        tempfile.TemporaryDirectory(prefix="reviewbot-perf-") as tmp,
        embedded_servers(os.environ.get("DATABASE_URL") or None, "off", Path(tmp)) as (url, _),
    ):
        asyncio.run(migrate(url))
        os.environ["DATABASE_URL"] = url
        _child("--phase", "seed", "--prs", str(args.prs))
        files = []
        for t in range(TEAMS):
            file = Path(tmp) / f"team-{t:02d}.yaml"
            file.write_text(team_file(t), encoding="utf-8")
            files.append(str(file))
        runs = [
            json.loads(_child("--phase", "replay", "--files", *files)) for _ in range(args.runs)
        ]
    report(args.prs, runs)


def report(prs: int, runs: list[dict[str, float]]) -> None:
    best = min(r["seconds"] for r in runs)
    lines = [
        f"# Replay benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{prs} PRs over {TEAMS} teams x {MEMBERS} members, 90 days, a mixed candidate (20 files)",
        "(three strategies, caps, away periods, two path rules), streamed from PostgreSQL.",
        f"Load: the 1-minute load average when each run started, on {os.cpu_count()} cores.",
        "CPU seconds are the replaying process's own (user + system), not PostgreSQL's.",
        "",
        "| run | load | PRs replayed | seconds | CPU seconds | peak RSS (MB) | RSS before (MB) |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {i} | {r['load']:.2f} | {r['prs']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} "
            f"| {r['peak_rss_mb']:.0f} | {r['rss_before_mb']:.0f} |"
            for i, r in enumerate(runs, 1)
        ),
        "",
        f"best: {best:.2f} s (target: <= 10 s)",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
