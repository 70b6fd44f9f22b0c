"""The whole replay report of a sizeable random world, against a golden file.

The golden (golden/replay_world.json) was computed by the replay as it was before its
speed work; any change of behaviour (another choice, another random draw, a figure
counted differently) fails here. The world mixes what the engine has to follow: the
three strategies, caps that bind, away periods starting and ending, an inactive member,
a team in mode off, path rules (a team rule, a members rule, a rule limited to a repo),
reviewers taken off and replaced, PRs closed, merged and still open, authors in no
team of the file. It is written straight into PostgreSQL, so the stream and the
decoding of rows are covered too.

Regenerate only for an intended change of the report: REPLAY_GOLDEN_WRITE=1.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bot.core.replay.history import Window
from bot.hosts.registry import HOSTS
from bot.services.simulate import Simulator
from config.team_parse import parse_config_files
from tests.simulate.support import write

GOLDEN = Path(__file__).parent / "golden" / "replay_world.json"
START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30
PRS = 4000
SEEDS = (1, 99)

# name: (strategy, size, reviewers)
TEAMS = {
    "lo": ("least_loaded", 14, 2),
    "rr": ("round_robin", 12, 2),
    "rnd": ("random", 16, 1),
    "big": ("least_loaded", 40, 2),
    "quiet": ("random", 6, 1),
    "tiny": ("round_robin", 8, 2),  # everyone capped: shortfalls at capacity
}
REPOS = ("acme/api", "acme/web", "acme/ops")
# How often each team (then "elsewhere", in no team of the file) authors a PR: tiny's
# caps bind part of the time, not always.
WEIGHTS = (1, 1, 1, 1, 1, 0.2, 0.3)


def _member(team: str, m: int) -> str:
    line = f"{{id: {team}{m:02d}, name: {team.upper()}{m}"
    if m % 3 == 0 or team == "tiny":
        line += f", max_open_reviews: {2 + m % 4 + (team == 'tiny')}"
    if m % 5 == 1:
        line += ", away: [{from: 2026-03-08, to: 2026-03-12}, {from: 2026-03-20, to: 2026-03-21}]"
    if m % 7 == 2:
        line += ", away_until: 2026-03-04"
    if m == 4:
        line += ", active: false"
    return line + "}"


def candidate() -> str:
    lines = ["teams:"]
    for name, (strategy, size, reviewers) in TEAMS.items():
        lines += [f"  - name: {name}", f"    strategy: {strategy}", f"    reviewers: {reviewers}"]
        if name == "quiet":
            lines.append("    mode: off")
        lines.append("    members:")
        lines += [f"      - {_member(name, m)}" for m in range(size)]
    lines += [
        "rules:",
        "  - {name: db, paths: ['migrations/**'], team: lo}",
        "  - {name: docs, paths: ['**/*.md'], members: [rr00, rr01, rnd02, lo03]}",
        "  - {name: ops, paths: ['deploy/**'], repos: [acme/ops], team: rr, reviewers: 2}",
    ]
    return "\n".join(lines) + "\n"


def _pr_id(repo: str, n: int) -> str:
    host = sorted(HOSTS)[0]
    return f"{host}:{repo}{HOSTS[host].pr_separator}{n}"


async def seed_world(pg: asyncpg.Pool) -> None:
    rng = random.Random(2026)
    teams = {**{t: size for t, (_, size, _) in TEAMS.items()}, "elsewhere": 5}
    users = [(f"{t}{m:02d}", f"{t}{m}", t, True) for t, size in teams.items() for m in range(size)]
    async with pg.acquire() as conn:
        await conn.copy_records_to_table(
            "teams", records=[(t,) for t in teams], columns=["team_name"]
        )
        await conn.copy_records_to_table(
            "users", records=users, columns=["user_id", "username", "team_name", "is_active"]
        )
        prs, events, routing = [], [], []
        for n in range(PRS):
            team = rng.choices(list(teams), weights=WEIGHTS)[0]
            members = [f"{team}{m:02d}" for m in range(teams[team])]
            author = rng.choice(members)
            repo = rng.choice(REPOS)
            pr_id = _pr_id(repo, n + 1) if n % 9 else f"local-{n}"
            created = START + timedelta(seconds=rng.randrange(DAYS * 86400))
            ends = created + timedelta(hours=rng.uniform(0.5, 150))
            fate = rng.random()
            status, merged, closed = "OPEN", None, None
            if ends < START + timedelta(days=DAYS + 3) and fate < 0.8:
                status, merged = "MERGED", ends
            elif fate < 0.97:
                status, closed = "CLOSED", ends
            prs.append((pr_id, pr_id, author, status, created, merged, closed))
            others = [u for u in members if u != author]
            on = rng.sample(others, min(len(others), rng.choice((0, 1, 2, 2, 2, 3))))
            for user in on:
                at = created + timedelta(minutes=rng.randrange(60))
                events.append((pr_id, "assigned", user, None, at))
            if on and rng.random() < 0.15:
                gone, at = on[0], created + timedelta(hours=rng.uniform(1, 30))
                spare = [u for u in others if u not in on]
                if spare and rng.random() < 0.6:
                    events.append((pr_id, "reassigned", rng.choice(spare), gone, at))
                else:
                    events.append((pr_id, "removed", None, gone, at))
            if n % 4 == 0:
                files = rng.choice(
                    (
                        ["migrations/0001.sql", "src/a.py"],
                        ["docs/guide.md"],
                        ["deploy/prod.yaml", "README.md"],
                        ["src/b.py"],
                        [],
                    )
                )
                routing.append((pr_id, len(files), files))
        columns = ["pull_request_id", "pull_request_name", "author_id", "status"]
        columns += ["created_at", "merged_at", "closed_at"]
        await conn.copy_records_to_table("pull_requests", records=prs, columns=columns)
        await conn.copy_records_to_table(
            "assignment_events",
            records=sorted(events, key=lambda e: e[4]),
            columns=["pull_request_id", "kind", "user_id", "replaced_user_id", "at"],
        )
        await conn.copy_records_to_table(
            "pr_routing", records=routing, columns=["pull_request_id", "files", "changed_files"]
        )


async def test_the_report_of_a_random_world_is_the_golden_one(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await seed_world(pg)
    files = [write(tmp_path, candidate())]
    config = parse_config_files(files)
    window = Window(START, START + timedelta(days=DAYS))
    reports = {
        str(seed): await simulator.run(config, ["teams.yaml"], window, seed) for seed in SEEDS
    }
    if os.environ.get("REPLAY_GOLDEN_WRITE"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(reports, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # Through JSON, as the API and --json give it (tuples and lists alike).
    assert json.loads(json.dumps(reports)) == golden
    # The world exercises what it claims to: caps, away periods, rules and mode off bite.
    teams = [t for r in golden.values() for t in r["teams"].values()]
    why = {w for t in teams for w in t["simulated"]["why_fewer"]}
    assert {"mode off", "not enough available members (at_capacity)"} <= why
    assert golden["1"]["outside_the_file"]["simulated_prs"] > 0
    assert golden["1"] != golden["99"]
