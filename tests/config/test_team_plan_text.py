"""``teams plan`` text: values spelled as the team file spells them, counts with plurals."""

from __future__ import annotations

from config.team_plan import Change, Plan


def _user(name: str) -> Change:
    details = {
        "handles": {"from": None, "to": {"github": f"{name}-gh"}},
        "active": {"from": None, "to": True},
    }
    return Change("user_created", name, "core", details)


def test_a_plan_reads_as_yaml_words_with_plurals() -> None:
    changes = (
        Change("team_created", "core", details={"reviewers": {"from": None, "to": 2}}),
        *(_user(n) for n in ("ana", "bo", "cy", "di")),
        Change("user_updated", "ed", "core", {"active": {"from": True, "to": False}}),
    )
    text = Plan(changes, (), prune=False).as_text()
    assert "+ user created: ana (team core): handles={github: ana-gh}, active=true" in text
    assert "~ user updated: ed (team core): active: true -> false" in text
    assert text.splitlines()[-1] == ("6 changes: 1 team created, 4 users created, 1 user updated")
    assert "{'" not in text and "True" not in text and "(s)" not in text
