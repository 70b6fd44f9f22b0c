"""The replay report as a side-by-side table for a terminal; a changed figure is marked ``*``.

team backend (least_loaded, 2 reviewers, mode assign) — 120 PRs
                           simulated     actual
  reviews                        240        231 *
  fewer than wanted                0          9 *
  gini of reviews               0.04       0.21 *
  peak open max/mean            1.10       1.80 *
  member       assigned (sim/act)   peak open   mean open
  alice              40 / 52 *       3 / 5 *    1.20 / 1.90 *
"""

from __future__ import annotations

from typing import Any

_TEAM_ROWS = (
    ("prs", "PRs"),
    ("reviews", "reviews"),
    ("fewer_than_wanted", "fewer than wanted"),
    ("gini", "gini of reviews"),
    ("peak_max_over_mean", "peak open max/mean"),
)


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _mark(changed: bool) -> str:
    return " *" if changed else ""


def render(report: dict[str, Any]) -> str:
    window = report["window"]
    seed = "" if report["seed"] is None else f", seed {report['seed']}"
    lines = [
        f"replay of {report['prs']} PRs created {window['since']} .. {window['until']}{seed}",
        "(* marks a figure that differs from what really happened)",
        "",
    ]
    for name, team in report["teams"].items():
        lines.extend(_team(name, team))
    outside = report["outside_the_file"]
    if outside["simulated_prs"]:
        lines.append(f"{outside['simulated_prs']} PRs by authors in no team of the file(s)")
    return "\n".join(lines) + "\n"


def _team(name: str, team: dict[str, Any]) -> list[str]:
    sim, act = team["simulated"], team["actual"]
    wanted = f"{team['reviewers']} reviewer" + ("" if team["reviewers"] == 1 else "s")
    head = f"team {name} ({team['strategy']}, {wanted} per PR, mode {team['mode']})"
    lines = [head, f"  {'':<24}{'simulated':>12}{'actual':>12}"]
    for key, label in _TEAM_ROWS:
        mark = _mark(sim[key] != act[key])
        lines.append(f"  {label:<24}{_fmt(sim[key]):>12}{_fmt(act[key]):>12}{mark}")
    for side, figures in (("simulated", sim), ("actual", act)):
        for why, count in figures["why_fewer"].items():
            lines.append(f"    {side}: {count} PR(s) with fewer reviewers: {why}")
    lines.append(
        f"  {'member (simulated / actual)':<28}{'assigned':>8}{'peak open':>14}{'mean open':>16}"
    )
    for user_id, member in team["members"].items():
        lines.append("  " + _member_row(user_id, member))
    lines.append("")
    return lines


def _member_row(user_id: str, member: dict[str, Any]) -> str:
    sim, act, changed = member["simulated"], member["actual"], set(member["changed"])
    cells = []
    for key, width in (("assigned", 16), ("peak_open", 14), ("mean_open", 16)):
        cell = f"{_fmt(sim[key])} / {_fmt(act[key])}{'*' if key in changed else ' '}"
        cells.append(f"{cell:>{width}}")
    return (f"{user_id:<20}" + "".join(cells)).rstrip()
