"""Reviewer changes and who made them, announced inside the writing transaction.

Every path that changes a PR's reviewers publishes a ``ReviewerChange`` on the
``ChangeFeed`` before it commits, so that a subscriber (the post-back outbox) writes its
rows atomically with the change. The change says who made it (``Origin``): subscribers
decide from that value, not from ambient state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from store.db import Connection


class Origin(StrEnum):
    API = "api"  # a management API call (create, reassign)
    WEBHOOK = "webhook"  # reviewbot chose reviewers for a host delivery
    DEACTIVATION = "deactivation"  # bulk deactivation moved the review
    HOST = "host"  # a copy of what a human did on the host: never echoed back
    REFUSED = "refused"  # the host refused a reviewer; only the replacement is requested
    COMMAND = "command"  # a comment command on the host (r?, reroll, release)
    SLA = "sla"  # a silent reviewer replaced by the review scheduler (issue 15)

    @property
    def posts_removals(self) -> bool:
        # The refused person was never requested on the host; a host copy is already there.
        return self not in (Origin.HOST, Origin.REFUSED)

    @property
    def posts_requests(self) -> bool:
        return self is not Origin.HOST


@dataclass(frozen=True, slots=True)
class ReviewerChange:
    """Reviewers added to / removed from a PR inside a transaction that is about to commit."""

    pull_request_id: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    origin: Origin = field(kw_only=True)


ChangeListener = Callable[[Connection, ReviewerChange], Awaitable[None]]
PrIdTest = Callable[[str], bool]


def _every_pr(pr_id: str) -> bool:
    return True


class ChangeFeed:
    def __init__(self) -> None:
        self._listeners: list[ChangeListener] = []
        self._writes_for: list[PrIdTest] = []

    def subscribe(self, listener: ChangeListener, *, writes_for: PrIdTest = _every_pr) -> None:
        """``writes_for``: the PRs whose changes the listener acts on (by id); for others
        a writer may skip the feed, and its transaction (see ``quiet_for``)."""
        self._listeners.append(listener)
        self._writes_for.append(writes_for)

    def quiet_for(self, pr_id: str) -> bool:
        """No listener acts on changes to this PR: publishing them would do nothing."""
        return not any(wants(pr_id) for wants in self._writes_for)

    async def publish(self, conn: Connection, change: ReviewerChange) -> None:
        for listener in self._listeners:
            await listener(conn, change)
