"""How long validating a team file takes: at the size cap, and for hostile files.

``python -m perf.team_file`` prints one line per case (median of a few runs). The cases:
a file just under ``MAX_FILE_BYTES`` of plain members, an alias bomb (30 levels of doubling
aliases, 2**30 member reads for a naive walker) and 50,000 nested brackets.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from config.team_parse import parse_text
from config.yaml_reader import MAX_FILE_BYTES

RUNS = 3


def at_the_cap() -> str:
    member = "      - {id: u%d, name: User %d, github: gh%d, max_open_reviews: 3}\n"
    text, i = "teams:\n  - name: t\n    members:\n", 0
    while len(text) + len(member) + 30 < MAX_FILE_BYTES:
        text += member % (i, i, i)
        i += 1
    return text


def many_small_teams() -> str:
    """The costliest shape per byte found so far: one-member teams in flow style."""
    team = "  - {name: t%d, members: [{id: m%d}]}\n"
    text, i = "teams:\n", 0
    while len(text) + len(team) + 20 < MAX_FILE_BYTES:
        text += team % (i, i)
        i += 1
    return text


def alias_bomb() -> str:
    levels = ["a0: &a0 {id: x}"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 31)]
    return "\n".join(levels) + "\nteams: [{name: t, members: *a30}]\n"


def deep_nesting() -> str:
    return "teams: " + "[" * 50_000 + "]" * 50_000


def _median_seconds(text: str) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        parse_text(text, "bench.yaml")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    cases: dict[str, Callable[[], str]] = {
        "at the cap": at_the_cap,
        "small teams": many_small_teams,
        "alias bomb": alias_bomb,
        "deep nesting": deep_nesting,
    }
    for name, build in cases.items():
        text = build()
        seconds = _median_seconds(text)
        print(f"{name:>13}: {len(text):>7} bytes, validated in {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
