"""Rules and CODEOWNERS lines as demands, pure: order, repos, owners that map to nobody."""

from __future__ import annotations

from bot.core.paths.codeowners import CodeOwnersFormat, owned, parse
from bot.core.routing import (
    Owner,
    Routing,
    Rule,
    already_served,
    codeowner_demands,
    matched_rules,
    owner_kind,
    room,
    rule_demands,
)

ROUTING = Routing(
    (
        Rule("database", ("migrations/**", "**/*.sql"), team="dba"),
        Rule("web", ("web/",), repos=("acme/web",), members=("w1", "w2"), reviewers=2),
        Rule("docs", ("docs/", "*.md"), members=("d1",)),
    )
)


def test_rules_match_in_file_order_with_their_first_file_and_count() -> None:
    found = matched_rules(ROUTING, "acme/web", ["README.md", "a/b.sql", "web/x.ts", "docs/y.md"])
    assert [(m.rule.name, m.file, m.count) for m in found] == [
        ("database", "a/b.sql", 1),
        ("web", "web/x.ts", 1),
        ("docs", "docs/y.md", 2),  # its first pattern first
    ]
    demands = rule_demands(found)
    assert [(d.key, d.count, d.team, d.members) for d in demands] == [
        ("rule:database", 1, "dba", ()),
        ("rule:web", 2, None, ("w1", "w2")),
        ("rule:docs", 1, None, ("d1",)),
    ]
    assert demands[0].because == {"rule": "database", "file": "a/b.sql", "files_matched": 1}


def test_repos_limit_a_rule_and_a_pr_without_a_repository_gets_only_unlimited_rules() -> None:
    assert [m.rule.name for m in matched_rules(ROUTING, "acme/api", ["web/x.ts"])] == []
    assert [m.rule.name for m in matched_rules(ROUTING, None, ["web/x.ts", "x.md"])] == ["docs"]
    assert matched_rules(ROUTING, "acme/web", []) == []


def test_owner_kinds() -> None:
    assert [owner_kind(t) for t in ("@acme/dba", "@alice", "a@b.org", "alice")] == [
        "team",
        "user",
        "email",
        "unknown",
    ]


def test_codeowner_lines_become_demands_and_unknown_owners_notes() -> None:
    text = "*.sql @acme/dba\ndocs/ @alice @acme/writers ops@acme.org\nweb/ @ghost\n"
    co = parse(text, ".github/CODEOWNERS", CodeOwnersFormat(("CODEOWNERS",)))
    lines = owned(co, ["a.sql", "docs/x.md", "web/y.ts"])
    known = {
        "@acme/dba": Owner("@acme/dba", team="dba"),
        "@alice": Owner("@alice", user_id="alice"),
        "@acme/writers": Owner("@acme/writers", team="writers"),
        "ops@acme.org": Owner("ops@acme.org", skipped="e-mail owners are not mapped to members"),
        "@ghost": Owner("@ghost", skipped="no member"),
    }
    demands, notes = codeowner_demands(lines, co.path, known.__getitem__, 1)
    assert [(d.key, d.team, d.members, d.member_teams) for d in demands] == [
        ("codeowners:1", "dba", (), ()),
        ("codeowners:2", None, ("alice",), ("writers",)),
    ]
    assert demands[0].because == {
        "codeowners": ".github/CODEOWNERS:1: *.sql @acme/dba",
        "file": "a.sql",
    }
    assert notes == [
        ".github/CODEOWNERS:2: docs/ @alice @acme/writers ops@acme.org: ops@acme.org skipped:"
        " e-mail owners are not mapped to members",
        ".github/CODEOWNERS:3: web/ @ghost: @ghost skipped: no member",
        ".github/CODEOWNERS:3: web/ @ghost: no owner is a reviewbot member or team",
    ]


def test_served_and_room() -> None:
    assert already_served(["d1", "d2"], ["x", "d2"]) == 1
    assert room(["a"], 0, 2) == 1 and room(["a"], 1, 2) == 0 and room(["a", "b", "c"], 0, 2) == 0
