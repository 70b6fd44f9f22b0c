"""The dashboard's pure figures: fairness, member states, shortfall reasons, ages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.dashboard import (
    LoadGroup,
    MemberRow,
    MemberState,
    PrRow,
    age_text,
    counts_hold_until,
    figures_of,
    gini,
    max_over_mean,
    outbox_state,
    read_still_holds,
    shortfall_reason,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _pairwise_gini(values: list[int]) -> float:
    """The textbook definition: mean absolute difference over twice the mean."""
    n, total = len(values), sum(values)
    if not n or not total:
        return 0.0
    diffs = sum(abs(a - b) for a, b in itertools.product(values, repeat=2))
    return diffs / (2 * n * total)


@pytest.mark.parametrize(
    "values", [[], [0, 0], [3, 3, 3], [0, 0, 9], [1, 2, 3, 4], [5, 0, 2, 2, 7, 1]]
)
def test_gini_is_the_textbook_figure(values: list[int]) -> None:
    assert gini(values) == pytest.approx(_pairwise_gini(values))


def test_even_load_is_zero_and_one_doing_all_is_the_maximum() -> None:
    assert gini([4, 4, 4, 4]) == 0.0
    assert gini([0, 0, 0, 8]) == pytest.approx(3 / 4)
    assert max_over_mean([0, 0, 0, 8]) == pytest.approx(4.0)
    assert max_over_mean([0, 0]) is None


def _member(**changes: object) -> MemberRow:
    base: dict[str, object] = {
        "user_id": "u",
        "username": "U",
        "team_name": "t",
        "is_active": True,
        "max_open_reviews": None,
        "away_today": False,
        "open_reviews": 2,
        "assigned_7d": 0,
        "assigned_30d": 0,
    }
    return MemberRow(**{**base, **changes})  # type: ignore[arg-type]


def test_member_state_follows_the_order_selection_checks() -> None:
    assert _member().state is MemberState.AVAILABLE
    assert _member(max_open_reviews=2).state is MemberState.AT_CAPACITY
    assert _member(max_open_reviews=2, away_today=True).state is MemberState.AWAY
    assert _member(is_active=False, away_today=True).state is MemberState.INACTIVE


def test_team_figures_count_availability_and_fairness_over_active_members() -> None:
    groups = [
        LoadGroup(True, False, False, 4, 2, 5, 9),  # two active members with 4 each
        LoadGroup(True, True, False, 0, 1, 0, 1),  # away
        LoadGroup(True, False, True, 3, 1, 1, 2),  # at their cap
        LoadGroup(True, True, True, 3, 1, 0, 0),  # away and capped: counted as away
        LoadGroup(False, False, False, 1, 3, 0, 4),  # inactive: not in the fairness figure
    ]
    figures = figures_of("t", "random", 2, groups, (("a", 4), ("b", 4)))
    assert (figures.members, figures.active_members) == (8, 5)
    assert (figures.away, figures.at_capacity) == (2, 1)
    assert figures.open_reviews == 4 * 2 + 3 + 3 + 1 * 3
    assert (figures.assigned_7d, figures.assigned_30d) == (6, 16)
    assert figures.gini == pytest.approx(gini([4, 4, 0, 3, 3]))
    assert figures.max_over_mean == pytest.approx(4 / (14 / 5))
    assert figures.busiest_load == 4


def _pr(explain: dict[str, object] | None, reviewers: tuple[str, ...] = ()) -> PrRow:
    return PrRow("p", "P", "a", "t", NOW, 2, reviewers, explain)


def test_shortfall_reason_counts_the_skipped_by_reason() -> None:
    explain = {
        "strategy": "least_loaded",
        "chosen": ["b"],
        "skipped": [
            {"user_id": "a", "reason": "author"},
            {"user_id": "c", "reason": "away"},
            {"user_id": "d", "reason": "away"},
            {"user_id": "e", "reason": "at_capacity"},
        ],
    }
    reason = shortfall_reason(_pr(explain, ("b",)))
    assert reason == (
        "only 1 eligible reviewer (least_loaded); skipped: 2 away, 1 at capacity, 1 the author"
    )
    batch = {"strategy": "random", "chosen": [], "skipped": [], "inactive": 3}
    assert shortfall_reason(_pr(batch)).endswith("skipped: 3 inactive")


def test_shortfall_reason_names_a_reviewer_taken_off_without_a_replacement() -> None:
    explain = {"strategy": "random", "chosen": ["b"], "skipped": []}
    pr = PrRow("p", "P", "a", "t", NOW, 2, (), explain, removed="b")
    assert shortfall_reason(pr).startswith("b was taken off after the last choice")


def test_shortfall_reason_without_an_explanation() -> None:
    assert "nobody could be assigned" in shortfall_reason(_pr(None))
    assert "requested on the host" in shortfall_reason(_pr(None, ("b",)))


def test_outbox_state_and_ages() -> None:
    assert outbox_state("pending", None) == "pending"
    assert outbox_state("pending", "503") == "retrying"
    assert outbox_state("failed", "422") == "failed"
    assert age_text(NOW - timedelta(minutes=7), NOW) == "7 min"
    assert age_text(NOW - timedelta(hours=5, minutes=12), NOW) == "5 h 12 min"
    assert age_text(NOW - timedelta(days=3, hours=4), NOW) == "3 d 4 h"
    assert age_text(NOW + timedelta(minutes=1), NOW) == "0 min"  # clocks a little apart


WEEK, MONTH = timedelta(days=7), timedelta(days=30)


def test_counts_hold_until_the_first_counted_assignment_leaves_its_window() -> None:
    in_week, in_month = NOW - timedelta(days=6), NOW - timedelta(days=29, hours=12)
    # The month's oldest leaves in 12 h, before the week's oldest (in a day).
    assert counts_hold_until([in_week, in_month], [WEEK, MONTH]) == in_month + MONTH
    assert counts_hold_until([None, in_month], [WEEK, MONTH]) == in_month + MONTH
    assert counts_hold_until([in_week, NOW - timedelta(days=2)], [WEEK, MONTH]) == in_week + WEEK


def test_empty_windows_hold_for_ever() -> None:
    assert counts_hold_until([None, None], [WEEK, MONTH]) is None


def test_a_read_holds_until_its_edge_on_the_same_day() -> None:
    edge = NOW + timedelta(hours=3)
    assert read_still_holds(NOW, edge, NOW)
    assert read_still_holds(NOW, edge, edge)  # counted while at >= now - window
    assert not read_still_holds(NOW, edge, edge + timedelta(microseconds=1))
    assert read_still_holds(NOW, None, NOW + timedelta(hours=11))


def test_a_read_never_holds_on_another_day_or_earlier() -> None:
    assert not read_still_holds(NOW, None, NOW + timedelta(hours=12))  # midnight passed
    assert not read_still_holds(NOW, None, NOW - timedelta(seconds=1))
