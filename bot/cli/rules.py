"""``reviewbot rules test FILE… [--repo R] --files PATH…``: which rules match, whom they draw.

Reads only the team files (nothing is stored, no database is started): for each rule that
matches one of ``--files`` (in the rules' order, the order picks are made in), the files it
matches and its pool; then the files no rule matches. Exit status: 0, or 1 when the team
files are invalid (every problem printed, as ``teams validate`` does).
"""

from __future__ import annotations

import argparse

from bot.cli.teams import print_problems
from bot.core.paths.patterns import FileIndex
from bot.core.routing import Routing, matched_rules
from config.team_parse import TeamConfig, parse_config_files
from config.team_plan import plural
from config.team_spec import ConfigInvalid


def add_rules_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser(
        "rules",
        help="try the team files' path rules on some file paths",
        description=__doc__.split("\n\n")[0].replace("``", "") if __doc__ else None,
        epilog="environment: none (nothing is stored or read but the files)",
    )
    actions = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    test = actions.add_parser("test", help="which rules match these changed files")
    test.add_argument("teams", nargs="+", metavar="FILE", help="team files (as for teams apply)")
    test.add_argument("--repo", help="the PR's repository path on its host (rules' repos:)")
    test.add_argument("--files", nargs="+", required=True, metavar="PATH", help="changed files")


def run_rules(args: argparse.Namespace) -> int:
    try:
        config = parse_config_files(args.teams)
    except ConfigInvalid as invalid:
        print_problems(invalid, " in the team files:")
        return 1
    print("\n".join(report(config, args.repo, args.files)))
    return 0


def report(config: TeamConfig, repo: str | None, files: list[str]) -> list[str]:
    routing = Routing(config.rules or ())
    members = {t.name: [m.user_id for m in t.members if m.is_active] for t in config.teams}
    index = FileIndex.of(files)
    lines: list[str] = []
    matched: set[str] = set()
    for found in matched_rules(routing, repo, index):
        rule = found.rule
        hits = [f for f in index.files if any(p.matches(f) for p in routing.patterns(rule))]
        matched.update(hits)
        if rule.team is not None:
            pool = f"team {rule.team} ({', '.join(members.get(rule.team, [])) or 'nobody active'})"
        else:
            pool = "members " + ", ".join(rule.members)
        lines.append(f"rule {rule.name}: {plural(rule.reviewers, 'reviewer')} from {pool}")
        lines.extend(f"  matches {f}" for f in hits)
    if not lines:
        lines.append("no rule matches these files")
    skipped = [r.name for r in routing.rules if not r.applies_to(repo)]
    if skipped:
        lines.append(f"not for {repo or 'a PR without a repository'}: {', '.join(skipped)}")
    rest = [f for f in index.files if f not in matched]
    lines.extend(f"no rule: {f}" for f in rest)
    lines.append("then the author's team tops up to its number of reviewers (at most 2 in all)")
    return lines
