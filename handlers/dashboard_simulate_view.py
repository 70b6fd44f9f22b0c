"""The simulator's JSON report shaped for the page: rows of simulated beside actual.

Each figure becomes a row with both values, their bar widths (on one scale per figure, so
the two bars compare) and whether they differ, so the template only lays rows out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEAM_FIGURES = (
    ("reviews", "Reviews assigned"),
    ("prs", "PRs"),
    ("fewer_than_wanted", "PRs short of reviewers"),
    ("gini", "Gini of assignments"),
    ("peak_max_over_mean", "Peak open load, max/mean"),
)
MEMBER_FIGURES = (
    ("assigned", "Assigned"),
    ("peak_open", "Peak open"),
    ("mean_open", "Mean open"),
)


@dataclass(frozen=True, slots=True)
class Pair:
    """One figure, simulated and actual, with a 0..20 bar width for each."""

    key: str
    label: str
    simulated: float
    actual: float
    simulated_width: int
    actual_width: int
    changed: bool


def scaled(value: float, largest: float) -> int:
    """Width class 0..20 (CSS classes ``w0``..``w20``; the policy forbids inline styles)."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, round(20 * min(value, largest) / largest))


def pair(key: str, label: str, sim: dict[str, Any], act: dict[str, Any], largest: float) -> Pair:
    s, a = sim[key], act[key]
    return Pair(key, label, s, a, scaled(s, largest), scaled(a, largest), s != a)


def _largest(sides: list[dict[str, Any]], key: str) -> float:
    return max((float(side[key]) for side in sides), default=0.0)


def _members(team: dict[str, Any]) -> list[dict[str, Any]]:
    members = team["members"]
    sides = [m[side] for m in members.values() for side in ("simulated", "actual")]
    tops = {key: _largest(sides, key) for key, _ in MEMBER_FIGURES}
    return [
        {
            "user_id": user_id,
            "changed": bool(m["changed"]),
            "figures": [
                pair(key, label, m["simulated"], m["actual"], tops[key])
                for key, label in MEMBER_FIGURES
            ],
        }
        for user_id, m in members.items()
    ]


def _why(team: dict[str, Any]) -> list[tuple[str, int, int]]:
    """Each reason a PR got fewer reviewers than wanted: (reason, simulated, actual)."""
    sim, act = team["simulated"]["why_fewer"], team["actual"]["why_fewer"]
    return [(reason, sim.get(reason, 0), act.get(reason, 0)) for reason in sorted({*sim, *act})]


def _team(name: str, team: dict[str, Any]) -> dict[str, Any]:
    sim, act = team["simulated"], team["actual"]
    figures = [pair(key, label, sim, act, _largest([sim, act], key)) for key, label in TEAM_FIGURES]
    return {
        "name": name,
        "mode": team["mode"],
        "strategy": team["strategy"],
        "reviewers": team["reviewers"],
        "changed": team["changed"],
        "figures": figures,
        "why": _why(team),
        "members": _members(team),
    }


def report_view(report: dict[str, Any]) -> dict[str, Any]:
    outside = report["outside_the_file"]
    return {
        "since": report["window"]["since"],
        "until": report["window"]["until"],
        "seed": report["seed"],
        "prs": report["prs"],
        "teams": [_team(name, team) for name, team in report["teams"].items()],
        "outside_prs": outside["simulated_prs"],
        "outside_teams": sorted(outside["actual_prs_by_team"].items()),
    }
