"""The pure decisions of applying a webhook delivery (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.delivery import (
    DRAFT_NOTE,
    Merge,
    Mirror,
    Mirrored,
    Note,
    Outcome,
    Progress,
    Rename,
    SetStatus,
    TopUp,
    Unmirror,
    duplicate,
    exclusions,
    ignored,
    mirror,
    nobody_left,
    plan,
    pong,
    unknown_author,
    unknown_pr,
    wanted,
)
from bot.core.events import Kind
from bot.core.models import PrStatus, PullRequest, Team, User

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PR_ID = "github:acme/widgets#7"
ALICE = User("alice", "Alice", "backend", True)


@dataclass(frozen=True)
class Event:
    kinds: tuple[Kind, ...]
    title: str = "Fix the widget"
    requested: tuple[str, ...] = ("bob-gh",)
    added: tuple[str, ...] = ("carol-gh",)
    removed: tuple[str, ...] = ("dave-gh",)


def _pr(status: PrStatus = PrStatus.OPEN, reviewers: tuple[str, ...] = ()) -> PullRequest:
    return PullRequest(PR_ID, "Old title", "alice", status, reviewers, NOW, None)


# -- plan: which steps, in which order ---------------------------------------------------


def test_an_open_pr_mirrors_the_hosts_requests_then_tops_up() -> None:
    assert plan(Event((Kind.OPENED,)), PrStatus.OPEN) == (Mirror(("bob-gh",)), TopUp())


def test_a_draft_mirrors_but_is_not_topped_up() -> None:
    assert plan(Event((Kind.DRAFT_OPENED,)), PrStatus.OPEN) == (
        Mirror(("bob-gh",)),
        Note(DRAFT_NOTE),
    )


def test_reopening_a_closed_pr_sets_it_open_first() -> None:
    assert plan(Event((Kind.OPENED,)), PrStatus.CLOSED) == (
        SetStatus(PrStatus.OPEN),
        Mirror(("bob-gh",)),
        TopUp(),
    )


def test_a_merged_pr_is_renamed_and_merged_again_but_its_reviewers_never_change() -> None:
    kinds = (Kind.RENAMED, Kind.MERGED, Kind.OPENED, Kind.REVIEWERS_ADDED, Kind.CLOSED)
    assert plan(Event(kinds), PrStatus.MERGED) == (
        Rename("Fix the widget"),
        Merge(),
        Note("opened: the PR is merged; its reviewers never change"),
        Note("reviewers_added: the PR is merged; its reviewers never change"),
        Note("closed: the PR is merged; its reviewers never change"),
    )


def test_kinds_after_a_merge_in_the_same_delivery_see_the_pr_merged() -> None:
    assert plan(Event((Kind.MERGED, Kind.REVIEWERS_REMOVED)), PrStatus.OPEN) == (
        Merge(),
        Note("reviewers_removed: the PR is merged; its reviewers never change"),
    )


def test_a_gitlab_update_renames_mirrors_and_tops_up_in_order() -> None:
    kinds = (Kind.RENAMED, Kind.REVIEWERS_ADDED, Kind.REVIEWERS_REMOVED, Kind.OPENED)
    assert plan(Event(kinds), PrStatus.OPEN) == (
        Rename("Fix the widget"),
        Mirror(("carol-gh",)),
        Unmirror(("dave-gh",)),
        Mirror(("bob-gh",)),
        TopUp(),
    )


def test_close_then_reopen_in_one_delivery() -> None:
    assert plan(Event((Kind.CLOSED, Kind.OPENED)), PrStatus.OPEN) == (
        SetStatus(PrStatus.CLOSED),
        SetStatus(PrStatus.OPEN),
        Mirror(("bob-gh",)),
        TopUp(),
    )


def test_nothing_to_do_is_an_empty_plan() -> None:
    assert plan(Event(()), PrStatus.OPEN) == ()


# -- unknown PRs and authors ---------------------------------------------------------------


def test_an_unknown_pr_is_created_only_by_an_opening_event() -> None:
    assert unknown_pr(PR_ID, (Kind.RENAMED, Kind.OPENED)) is None
    assert unknown_pr(PR_ID, (Kind.DRAFT_OPENED,)) is None
    assert unknown_pr(PR_ID, (Kind.MERGED,)) == Outcome(
        {
            "status": "ignored",
            "reason": "pull request 'github:acme/widgets#7' is not known to reviewbot",
        },
    )


def test_an_unknown_author_names_the_handle_or_the_numeric_id() -> None:
    assert unknown_author("github", "zed").body["reason"] == (
        "unknown author: no member has the github handle 'zed'"
    )
    assert unknown_author("gitlab", 42).body["reason"] == (
        "unknown author: no member has the gitlab handle '42'"
    )


def test_the_fixed_answers() -> None:
    assert pong("zen") == Outcome({"status": "pong", "note": "zen"})
    assert duplicate("d-1") == Outcome({"status": "duplicate", "delivery": "d-1"})
    assert ignored("why") == Outcome({"status": "ignored", "reason": "why"})
    assert ignored("why").ignored and not pong("zen").ignored
    assert not ignored("why").enqueued


# -- mirroring what a human requested on the host --------------------------------------


def test_mirror_stores_active_members_in_the_hosts_order() -> None:
    named = [("dave-gh", "dave"), ("bob-gh", "bob")]
    assert mirror(named, {"bob", "dave"}, "alice", ()) == Mirrored(("dave", "bob"))


def test_non_members_and_inactive_members_are_left_to_the_host_and_counted() -> None:
    named = [("ghost", None), ("erin-gh", "erin"), ("bob-gh", "bob")]
    assert mirror(named, {"bob"}, "alice", ()) == Mirrored(
        ("bob",),
        2,
        (
            "'ghost' is not an active member; left to the host",
            "'erin-gh' is not an active member; left to the host",
        ),
    )


def test_the_author_and_present_reviewers_are_skipped_silently() -> None:
    named = [("alice-gh", "alice"), ("bob-gh", "bob"), ("bob", "bob")]
    assert mirror(named, {"alice", "bob"}, "alice", ("bob",)) == Mirrored()


def test_mirror_stops_at_the_cap_counting_those_it_adds() -> None:
    named = [("bob-gh", "bob"), ("carol-gh", "carol"), ("dave-gh", "dave")]
    assert mirror(named, {"bob", "carol", "dave"}, "alice", ("erin",)) == Mirrored(
        ("bob",),
        0,
        (
            "'carol-gh' not stored: the PR already has 2",
            "'dave-gh' not stored: the PR already has 2",
        ),
    )
    assert mirror([("x", "x")], {"x"}, "alice", (), cap=0).add == ()


# -- topping up ------------------------------------------------------------------------------


def test_wanted_is_the_teams_count_less_everyone_already_requested() -> None:
    two, one = Team("backend", ()), Team("solo", (), reviewers=1)
    assert wanted(two, (), 0) == 2
    assert wanted(two, ("bob",), 0) == 1
    assert wanted(two, ("bob",), 1) == 0
    assert wanted(one, (), 0) == 1
    assert wanted(one, ("bob",), 2) == -2
    assert wanted(None, (), 0) == 2  # no team row: the contract's two


def test_exclusions_are_the_author_the_reviewers_and_the_refused() -> None:
    assert exclusions("alice", ("bob",), ["carol", "bob"]) == {"alice", "bob", "carol"}
    assert nobody_left("backend") == "no active member of team 'backend' is left to review"


# -- progress and the answer ---------------------------------------------------------------


def test_a_created_pr_is_new_open_and_knows_its_author() -> None:
    run = Progress.created(PR_ID, "Fix", ALICE, NOW)
    assert run.pr == PullRequest(PR_ID, "Fix", "alice", PrStatus.OPEN, (), NOW, None)
    assert run.new and run.author == ALICE
    assert not Progress(run.pr).new and Progress(run.pr).author is None


def test_progress_through_a_delivery_and_its_answer() -> None:
    run = Progress.created(PR_ID, "Fix", ALICE, NOW)
    run = run.mirrored(
        Mirrored(("bob",), 1, ("'ghost' is not an active member; left to the host",))
    )
    run = run.topped_up(["carol"])
    run = run.noted("a note").renamed("Better title")
    assert run.non_members == 1
    answer = run.answer((Kind.OPENED,))
    assert answer == Outcome(
        {
            "status": "applied",
            "pull_request_id": PR_ID,
            "actions": ["opened"],
            "assigned": ["carol"],
            "reviewers": ["bob", "carol"],
            "pr_status": "OPEN",
            "notes": ["'ghost' is not an active member; left to the host", "a note"],
        },
    )
    assert answer.enqueued and not answer.ignored
    assert run.pr.pull_request_name == "Better title"


def test_unmirror_status_and_store_reads() -> None:
    run = Progress(_pr(reviewers=("bob", "carol")))
    assert run.unmirrored("bob").pr.assigned_reviewers == ("carol",)
    assert run.unmirrored("zed") == run
    assert run.with_status(PrStatus.CLOSED).answer(()).body["pr_status"] == "CLOSED"
    merged = _pr(PrStatus.MERGED, ("bob", "carol"))
    assert run.with_pr(merged).pr is merged
    assert run.with_pr(None) is run
    nobody = Progress(_pr()).answer((Kind.CLOSED,))
    assert nobody.body["assigned"] == [] and not nobody.enqueued
