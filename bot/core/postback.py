"""Settling a post-back: (the host's answer, the rows, now, policy) → one decision. Pure.

    Done(error)          sent; or a removal the host refused (nobody left to remove)
    Split(error)         the host refused a batch of several: ask for each person alone
    Replace(error)       the host refused the one reviewer asked for: choose someone else
    RetryAt(at, error)   5xx, timeouts, a crashed client call: exponential backoff with
                         jitter; rate limited: the host's wait (``Retry-After`` or reset)
    Failed(reason)       a permanent error, or a retry past the time budget (``give_up_after``
                         since the rows' first attempt)

``bot.services.outbox.OutboxWorker`` sends, settles with ``settle`` and applies the decision.
The host's answer comes in as an ``Answer`` (the worker translates ``bot.hosts.decipher``'s
result: ``bot.core`` imports nothing of ``bot.hosts``); its verdict is also the metric label.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.circuit import Health
from bot.core.models import PrStatus, PullRequest


class Verdict(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    INVALID_REVIEWER = "invalid_reviewer"
    FAILED = "failed"


class OnRefused(StrEnum):
    """What a 400/422 for one row of a kind means (the kind's entry says which)."""

    REPLACE = "replace"  # the host refused this reviewer: choose someone else
    DONE = "done"  # nothing left to do (a removal, a reaction already there)
    FAILED = "failed"  # permanent: an admin must look (a reply the host will not take)


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    message: str = ""
    wait: float = 0.0  # seconds the host asked for (RATE_LIMITED)


class Row(Protocol):
    """What settling reads of an outbox row (``store.outbox.Entry`` has it)."""

    @property
    def kind(self) -> str: ...  # request | remove | react | reply
    @property
    def attempts(self) -> int: ...
    @property
    def first_attempt_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 1.0
    max_delay: float = 300.0
    give_up_after: float = 7200.0  # long enough to outlast an hourly rate-limit window
    # The backstop when a claimer's session outlives it (a frozen process): longer than any
    # single host call (the client's timeout is 10 s). A dead worker's rows need no lease.
    lease: float = 60.0

    def delay(self, attempts: int, jitter: float) -> float:
        """Seconds before the next try; ``jitter`` in [0, 1) spreads it over [½, 1] of the
        exponential step ("equal jitter": spread, never zero)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** max(attempts - 1, 0))
        return delay * (0.5 + jitter / 2)

    def backoff(self, attempts: int, rng: random.Random) -> float:
        return self.delay(attempts, rng.random())


@dataclass(frozen=True, slots=True)
class Done:
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Split:
    error: str


@dataclass(frozen=True, slots=True)
class Replace:
    error: str


@dataclass(frozen=True, slots=True)
class RetryAt:
    at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str


Decision = Done | Split | Replace | RetryAt | Failed


def settle(
    answer: Answer,
    rows: Sequence[Row],
    now: datetime,
    policy: RetryPolicy,
    jitter: Callable[[], float],
    on_refused: OnRefused | None = None,
) -> Decision:
    """One decision for the whole batch (rows of one PR and kind, sent in one call).

    ``jitter`` is called once, and only for a backoff (e.g. ``random.Random().random``).
    ``on_refused``: what a refusal of one row means for its kind (None: a request is
    replaced, anything else is done).
    """
    verdict, message = answer.verdict, answer.message
    if verdict is Verdict.SENT:
        return Done()
    if verdict is Verdict.INVALID_REVIEWER:
        if len(rows) > 1:  # the host does not say whom it refused
            return Split(message)
        refused = on_refused or (OnRefused.REPLACE if rows[0].kind == "request" else OnRefused.DONE)
        if refused is OnRefused.REPLACE:
            return Replace(message)
        return Done(message) if refused is OnRefused.DONE else Failed(message)
    if verdict is Verdict.RATE_LIMITED:
        return later(rows, answer.wait, "rate limited: " + message, now, policy)
    if verdict is Verdict.RETRY:
        wait = policy.delay(max(r.attempts for r in rows), jitter())
        return later(rows, wait, message, now, policy)
    return Failed(message)


def later(
    rows: Sequence[Row], wait: float, error: str, now: datetime, policy: RetryPolicy
) -> RetryAt | Failed:
    """Try again after ``wait`` seconds, unless that is past the time budget."""
    started = min((r.first_attempt_at or now) for r in rows)
    at = now + timedelta(seconds=wait)
    if at > started + timedelta(seconds=policy.give_up_after):
        attempts = max(r.attempts for r in rows)
        return Failed(f"gave up after {attempts} attempts: {error}")
    return RetryAt(at, error)


def health(verdict: Verdict) -> Health:
    """What an answer says about the host as a whole (its circuit's input)."""
    if verdict is Verdict.RETRY:
        return Health.DOWN
    if verdict is Verdict.RATE_LIMITED:
        return Health.LIMITED
    return Health.UP


def still_reviewing(pr: PullRequest, user_id: str) -> bool:
    """Whether a refused reviewer is still to be replaced: the PR is open and has them."""
    return pr.status is PrStatus.OPEN and user_id in pr.assigned_reviewers
