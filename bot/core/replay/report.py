"""The replay's figures: per team and member, simulated beside actual, with fairness.

Fairness per team: the Gini coefficient of reviews assigned across its members (0: all
equal, toward 1: one member does everything) and max/mean of the members' peak open load
(1.0: nobody peaks above the others). A figure is ``changed`` when the two sides differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.replay.engine import NO_TEAM, Replay
from bot.core.replay.tally import MemberTally, Tally


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (0.0 for none or all zero)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((2 * i - n - 1) * x for i, x in enumerate(ordered, 1))
    return round(weighted / (n * total), 4)


def peak_ratio(peaks: Sequence[int]) -> float:
    """max/mean of peak open load (0.0 when nobody had any)."""
    if not peaks or sum(peaks) == 0:
        return 0.0
    return round(max(peaks) / (sum(peaks) / len(peaks)), 4)


def _side(tally: Tally, team: str, ids: Sequence[str]) -> dict[str, Any]:
    members = [tally.members.get(u, MemberTally()) for u in ids]
    short: Mapping[str, int] = tally.short.get(team, {})
    return {
        "prs": tally.prs.get(team, 0),
        "reviews": sum(m.assigned for m in members),
        "fewer_than_wanted": sum(short.values()),
        "why_fewer": dict(sorted(short.items())),
        "gini": gini([m.assigned for m in members]),
        "peak_max_over_mean": peak_ratio([m.peak_open for m in members]),
    }


def _member(simulated: MemberTally, actual: MemberTally, seconds: float) -> dict[str, Any]:
    def figures(t: MemberTally) -> dict[str, Any]:
        mean = round(t.open_seconds / seconds, 3)
        return {"assigned": t.assigned, "peak_open": t.peak_open, "mean_open": mean}

    sim, act = figures(simulated), figures(actual)
    return {"simulated": sim, "actual": act, "changed": sorted(k for k in sim if sim[k] != act[k])}


def build_report(replay: Replay, files: Sequence[str], seed: int | None) -> dict[str, Any]:
    sim, act = replay.simulated, replay.actual
    window = sim.window
    teams: dict[str, Any] = {}
    for name, team in sorted(replay.teams.items()):
        ids = sorted(m.user_id for m in team.members)
        s, a = _side(sim, name, ids), _side(act, name, ids)
        teams[name] = {
            "mode": team.mode.value,
            "strategy": team.strategy.name,
            "reviewers": team.reviewers,
            "simulated": s,
            "actual": a,
            "changed": sorted(k for k in s if s[k] != a[k]),
            "members": {
                u: _member(
                    sim.members.get(u, MemberTally()),
                    act.members.get(u, MemberTally()),
                    window.seconds,
                )
                for u in ids
            },
        }
    outside = sorted(set(act.prs) - set(replay.teams))
    return {
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "files": list(files),
        "seed": seed,
        "prs": sum(sim.prs.values()),
        "teams": teams,
        "outside_the_file": {
            "simulated_prs": sim.prs.get(NO_TEAM, 0),
            "actual_prs_by_team": {t: act.prs[t] for t in outside},
        },
    }
