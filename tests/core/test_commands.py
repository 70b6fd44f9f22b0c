"""The comment-command grammar and its rules, table-driven, no I/O."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.command_rules import (
    Actor,
    PrFacts,
    Reaction,
    Report,
    away_problem,
    explain_text,
    help_text,
    refusal,
    refused,
)
from bot.core.commands import (
    Away,
    Back,
    BadCommand,
    Explain,
    Help,
    Release,
    RequestTeam,
    RequestUser,
    Reroll,
    parse_comment,
)
from bot.core.models import PrStatus

BOT = "reviewbot"

GRAMMAR = [
    # (comment, what is found: (type, its value) per command)
    ("r? @bob", [(RequestUser, "bob")]),
    ("  r? @bob  ", [(RequestUser, "bob")]),
    ("R? @Bob", [(RequestUser, "Bob")]),  # the word is case-insensitive, the handle kept
    ("r? @bob.", [(RequestUser, "bob")]),  # sentence punctuation is not part of a handle
    ("r? @ana.li", [(RequestUser, "ana.li")]),
    ("r? backend", [(RequestTeam, "backend")]),
    ("@reviewbot reroll", [(Reroll, None)]),
    ("@ReviewBot REROLL", [(Reroll, None)]),
    ("@reviewbot[bot] release", [(Release, None)]),
    ("@reviewbot: explain", [(Explain, None)]),
    ("@reviewbot, help", [(Help, None)]),
    ("@reviewbot back", [(Back, None)]),
    ("@reviewbot away until 2026-12-24", [(Away, date(2026, 12, 24))]),
    ("@reviewbot AWAY UNTIL 2026-12-24.", [(Away, date(2026, 12, 24))]),
    # several commands run in order; prose around them is not a command
    (
        "Thanks!\nr? @bob\nsome text\n@reviewbot explain\n",
        [(RequestUser, "bob"), (Explain, None)],
    ),
    # code blocks and quotes are never commands
    ("```\nr? @bob\n```\n@reviewbot help", [(Help, None)]),
    ("~~~sh\n@reviewbot reroll\n~~~", []),
    ("  ```python\n  r? @bob\n  ```", []),
    ("> r? @bob\n> @reviewbot reroll", []),
    (">r? @bob", []),
    # mentions elsewhere in a line, other bots, plain text
    ("please @reviewbot reroll", []),
    ("@otherbot reroll", []),
    ("@reviewbots reroll", []),
    ("nothing here", []),
    ("", []),
]


@pytest.mark.parametrize(("comment", "expected"), GRAMMAR)
def test_grammar(comment: str, expected: list[tuple[type, object]]) -> None:
    found = parse_comment(comment, BOT)
    assert [type(c) for c in found] == [t for t, _ in expected]
    for command, (_, value) in zip(found, expected, strict=True):
        if isinstance(command, RequestUser):
            assert command.handle == value
        elif isinstance(command, RequestTeam):
            assert command.team == value
        elif isinstance(command, Away):
            assert command.until == value


MALFORMED = [
    # (line, words the problem names, the correct form shown)
    ("r?", "exactly one", "r? @handle"),
    ("r? @bob @carol", "exactly one", "r? @handle"),
    ("r? @-bob", "not a user handle", "r? @handle"),
    ("@reviewbot", "no command", "@reviewbot help"),
    ("@reviewbot dance", "unknown command 'dance'", "@reviewbot reroll"),
    ("@reviewbot reroll now", "takes no arguments", "@reviewbot reroll"),
    ("@reviewbot away", "needs 'until'", "@reviewbot away until YYYY-MM-DD"),
    ("@reviewbot away till 2026-12-24", "needs 'until'", "away until YYYY-MM-DD"),
    ("@reviewbot away until tomorrow", "not a date", "away until YYYY-MM-DD"),
    ("@reviewbot away until 24.12.2026", "not a date", "away until YYYY-MM-DD"),
    ("@reviewbot away until 2026-02-30", "not a calendar day", "away until YYYY-MM-DD"),
]


@pytest.mark.parametrize(("line", "problem", "form"), MALFORMED)
def test_malformed_lines_say_what_is_wrong_and_the_correct_form(
    line: str, problem: str, form: str
) -> None:
    [found] = parse_comment(line, BOT)
    assert isinstance(found, BadCommand)
    assert problem in found.problem
    assert form in found.usage
    text = refused(found, found.problem, BOT)
    assert line in text and form in text


def test_the_bot_name_is_configurable() -> None:
    assert [type(c) for c in parse_comment("@assign-o-matic reroll", "assign-o-matic")] == [Reroll]
    assert parse_comment("@reviewbot reroll", "assign-o-matic") == []
    found = parse_comment("@assign-o-matic nope", "assign-o-matic")
    assert isinstance(found[0], BadCommand) and "@assign-o-matic help" in found[0].usage


PR = PrFacts("alice", "backend", ("bob",), PrStatus.OPEN)
AUTHOR = Actor("alice-gh", "alice", "backend")
REVIEWER = Actor("bob", "bob", "backend")
TEAMMATE = Actor("dave", "dave", "backend")
OUTSIDER = Actor("erin", "erin", "design")
STRANGER = Actor("mallory")

WHO_MAY = [
    # (command, actor, pr, allowed)
    (RequestUser("carol", "r? @carol"), AUTHOR, PR, True),
    (RequestUser("carol", "r? @carol"), REVIEWER, PR, True),
    (RequestUser("carol", "r? @carol"), TEAMMATE, PR, True),
    (RequestUser("carol", "r? @carol"), OUTSIDER, PR, False),
    (RequestUser("carol", "r? @carol"), STRANGER, PR, False),
    (RequestTeam("design", "r? design"), TEAMMATE, PR, True),
    (RequestTeam("design", "r? design"), OUTSIDER, PR, False),
    (Reroll("@reviewbot reroll"), AUTHOR, PR, True),
    (Reroll("@reviewbot reroll"), REVIEWER, PR, True),
    (Reroll("@reviewbot reroll"), TEAMMATE, PR, False),
    (Release("@reviewbot release"), REVIEWER, PR, True),
    (Release("@reviewbot release"), AUTHOR, PR, False),
    (Away(date(2026, 12, 24), "@reviewbot away until 2026-12-24"), OUTSIDER, None, True),
    (Away(date(2026, 12, 24), "@reviewbot away until 2026-12-24"), STRANGER, None, False),
    (Back("@reviewbot back"), TEAMMATE, None, True),
    (Away(date(2026, 12, 24), "@reviewbot away until 2026-12-24"), OUTSIDER, PR, True),
    (Back("@reviewbot back"), STRANGER, None, False),
    (Explain("@reviewbot explain"), STRANGER, PR, True),
    (Help("@reviewbot help"), STRANGER, None, True),
    # a PR that is not open takes no reviewer change, whoever asks
    (Reroll("@reviewbot reroll"), AUTHOR, PrFacts("alice", "backend", (), PrStatus.MERGED), False),
    (RequestUser("c", "r? @c"), AUTHOR, PrFacts("alice", "backend", (), PrStatus.CLOSED), False),
    (RequestUser("c", "r? @c"), AUTHOR, None, False),  # no PR on record
    (Explain("@reviewbot explain"), STRANGER, None, False),
]


@pytest.mark.parametrize(("command", "actor", "pr", "allowed"), WHO_MAY)
def test_who_may(command: object, actor: Actor, pr: PrFacts | None, allowed: bool) -> None:
    problem = refusal(command, actor, pr, BOT)  # type: ignore[arg-type]
    assert (problem is None) is allowed, problem


def test_a_merged_pr_is_named_in_the_refusal() -> None:
    merged = PrFacts("alice", "backend", (), PrStatus.MERGED)
    assert "merged" in (refusal(Reroll("x"), AUTHOR, merged, BOT) or "")


@pytest.mark.parametrize(
    ("until", "problem"),
    [
        (date(2026, 12, 1), None),  # today counts
        (date(2027, 6, 1), None),
        (date(2026, 11, 30), "in the past"),
        (date(2028, 1, 1), "more than a year"),
    ],
)
def test_away_dates(until: date, problem: str | None) -> None:
    found = away_problem(until, date(2026, 12, 1))
    assert (found is None) if problem is None else (problem in (found or ""))


def test_report_reacts_once_and_replies_only_when_there_is_something_to_say() -> None:
    quiet = Report()
    quiet.ok(None)
    assert quiet.reaction is Reaction.OK and quiet.reply() is None
    mixed = Report()
    mixed.ok("Requested @bob.")
    mixed.refuse("❌ nope")
    assert mixed.reaction is Reaction.REFUSED
    assert mixed.reply() == "Requested @bob.\n\n❌ nope"


def test_help_lists_every_command_with_the_bot_name() -> None:
    text = help_text("assign-o-matic")
    for form in ("r? @handle", "@assign-o-matic reroll", "@assign-o-matic away until YYYY-MM-DD"):
        assert form in text
    assert len([line for line in text.splitlines() if line.startswith("| `")]) == 7


def test_explain_names_the_command_and_its_author_and_the_skipped() -> None:
    events = [
        {
            "kind": "assigned",
            "user_id": "bob",
            "source": "webhook",
            "explain": {"strategy": "random"},
        },
        {
            "kind": "assigned",
            "user_id": "carol",
            "source": "command",
            "explain": {
                "strategy": "least_loaded",
                "skipped": [{"user_id": "dave", "reason": "away"}],
                "reason": {"command": "r? backend", "by": "alice-gh"},
            },
        },
    ]
    text = explain_text(("bob", "carol"), events, {"carol": "carol-gh"})
    assert "@bob: assigned (webhook); strategy random" in text
    assert (
        "@carol-gh: `r? backend` by @alice-gh; strategy least_loaded; skipped dave (away)" in text
    )
    assert "no reviewers" in explain_text((), [], {})


def test_a_comment_runs_at_most_twenty_commands() -> None:
    found = parse_comment("\n".join(["@reviewbot help"] * 25), BOT)
    assert len(found) == 21 and all(isinstance(c, Help) for c in found[:20])
    assert isinstance(found[20], BadCommand) and "5 more ignored" in found[20].problem
