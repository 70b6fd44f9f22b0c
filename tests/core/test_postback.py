"""The pure settling of a post-back (no database, no host): what the worker does next."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import PrStatus, PullRequest
from bot.core.postback import (
    Answer,
    Decision,
    Done,
    Failed,
    Replace,
    RetryAt,
    RetryPolicy,
    Split,
    Verdict,
    later,
    settle,
    still_reviewing,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
POLICY = RetryPolicy(base_delay=1.0, max_delay=300.0, give_up_after=7200.0)


@dataclass(frozen=True)
class Row:
    kind: str = "request"
    attempts: int = 1
    first_attempt_at: datetime | None = NOW


def _never() -> float:
    raise AssertionError("jitter drawn for a decision that needs none")


def _settle(answer: Answer, *rows: Row, jitter: float | None = None) -> Decision:
    """Settle one row (or ``rows``); ``jitter`` None: the decision must not draw one."""
    draw = _never if jitter is None else (lambda: jitter)
    return settle(answer, rows or (Row(),), NOW, POLICY, draw)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def test_sent_is_done() -> None:
    assert _settle(Answer(Verdict.SENT)) == Done()
    assert _settle(Answer(Verdict.SENT), Row(), Row()) == Done()


def test_a_refused_request_is_replaced() -> None:
    assert _settle(Answer(Verdict.INVALID_REVIEWER, "HTTP 422: no")) == Replace("HTTP 422: no")


def test_a_refused_removal_is_done_nobody_is_left_to_remove() -> None:
    answer = Answer(Verdict.INVALID_REVIEWER, "HTTP 422: gone")
    assert _settle(answer, Row(kind="remove")) == Done("HTTP 422: gone")


@pytest.mark.parametrize("kind", ["request", "remove"])
def test_a_refused_batch_of_several_is_split_first(kind: str) -> None:
    answer = Answer(Verdict.INVALID_REVIEWER, "HTTP 422: who?")
    assert _settle(answer, Row(kind), Row(kind)) == Split("HTTP 422: who?")


def test_rate_limited_waits_for_the_host() -> None:
    answer = Answer(Verdict.RATE_LIMITED, "HTTP 429: slow down", wait=120.0)
    assert _settle(answer) == RetryAt(NOW + seconds(120), "rate limited: HTTP 429: slow down")


def test_a_rate_limit_wait_past_the_budget_gives_up() -> None:
    answer = Answer(Verdict.RATE_LIMITED, "HTTP 403: reset", wait=3600.0)
    started = NOW - seconds(3601)
    assert _settle(answer, Row(attempts=4, first_attempt_at=started)) == Failed(
        "gave up after 4 attempts: rate limited: HTTP 403: reset"
    )


def test_retry_backs_off_exponentially_with_jitter_from_the_most_tried_row() -> None:
    answer = Answer(Verdict.RETRY, "HTTP 500: oops")
    assert _settle(answer, jitter=0.0) == RetryAt(NOW + seconds(0.5), "HTTP 500: oops")
    assert _settle(answer, Row(attempts=3), Row(attempts=1), jitter=0.5) == RetryAt(
        NOW + seconds(3.0), "HTTP 500: oops"
    )
    capped = _settle(answer, Row(attempts=30), jitter=1.0)
    assert capped == RetryAt(NOW + seconds(300), "HTTP 500: oops")


def test_retry_draws_the_jitter_exactly_once() -> None:
    drawn: list[float] = []

    def jitter() -> float:
        drawn.append(0.25)
        return 0.25

    settle(Answer(Verdict.RETRY, "x"), [Row(), Row()], NOW, POLICY, jitter)
    assert drawn == [0.25]


def test_the_budget_counts_from_the_earliest_first_attempt() -> None:
    budget = POLICY.give_up_after
    rows = [Row(first_attempt_at=NOW - seconds(budget - 10)), Row(first_attempt_at=None)]
    assert later(rows, 10, "e", NOW, POLICY) == RetryAt(NOW + seconds(10), "e")  # exactly at it
    assert later(rows, 10.5, "e", NOW, POLICY) == Failed("gave up after 1 attempts: e")
    # Never tried before (first_attempt_at unset): the budget starts now.
    assert later([Row(first_attempt_at=None)], budget, "e", NOW, POLICY) == RetryAt(
        NOW + seconds(budget), "e"
    )


def test_a_retry_past_the_budget_gives_up() -> None:
    policy = RetryPolicy(give_up_after=10.0)
    row = Row(attempts=5, first_attempt_at=NOW - seconds(9))
    decision = settle(Answer(Verdict.RETRY, "HTTP 503: x"), [row], NOW, policy, lambda: 0.0)
    assert decision == Failed("gave up after 5 attempts: HTTP 503: x")


def test_a_permanent_error_fails() -> None:
    assert _settle(Answer(Verdict.FAILED, "HTTP 401: bad credentials")) == Failed(
        "HTTP 401: bad credentials"
    )


def test_delay_and_backoff_agree() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=60)
    assert [policy.delay(n, 0.0) for n in (0, 1, 2, 3, 6, 7)] == [0.5, 0.5, 1, 2, 16, 30]
    assert policy.delay(8, 1.0) == 60
    rng, same = random.Random(7), random.Random(7)
    assert policy.backoff(4, rng) == policy.delay(4, same.random())


def test_a_refused_reviewer_is_replaced_only_while_still_on_an_open_pr() -> None:
    pr = PullRequest("github:a/b#1", "t", "alice", PrStatus.OPEN, ("bob",), NOW, None)
    assert still_reviewing(pr, "bob")
    assert not still_reviewing(pr, "carol")
    assert not still_reviewing(replace(pr, status=PrStatus.MERGED), "bob")
    assert not still_reviewing(replace(pr, status=PrStatus.CLOSED), "bob")
